import KdumpAuth
import KdumpConfiguration

/// What the admission gate needs to check signed messages: the `auth` mode, the keys and
/// `auth_window`; replaced as a whole on reload.
public struct Authentication: Sendable {
    public var mode: AuthMode
    public var keys: MessageKeys
    public var window: Duration

    public init(mode: AuthMode, keys: MessageKeys, window: Duration) {
        self.mode = mode
        self.keys = keys
        self.window = window
    }

    /// Version 1 only: no keys.
    public static let none = Authentication(mode: .none, keys: MessageKeys([]), window: .seconds(120))
}
