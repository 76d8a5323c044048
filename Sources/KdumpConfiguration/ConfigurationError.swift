import KdumpState
import KdumpWire
import Logging

/// A configuration value that was rejected, with where it came from.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `FILE:LINE` or `--flag`.
    public var origin: String
    public var message: String

    /// The message is kept to one line: it quotes the configuration.
    public init(origin: String, message: String) {
        self.origin = origin
        self.message = message.oneLineMessage
    }

    public var description: String { "\(origin): \(message)" }
}
