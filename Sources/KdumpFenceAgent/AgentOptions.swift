import KdumpCommandLine
import KdumpWire

/// The agent's settings, with upstream `fence_kdump`'s defaults.
public struct AgentOptions: Sendable, Equatable {
    public var nodenames: [String] = []
    public var ipport: Int = KdumpDatagram.defaultPort
    public var family: AddressFamily = .auto
    public var action: AgentAction = .off
    /// Seconds to wait for a message.
    public var timeout: Int = 60
    public var verbose: Int = 0
    /// Seconds; nil means the daemon's configured `max_age`.
    public var maxAge: Double?
    /// Control socket; nil means the client default.
    public var socket: String?
    public var fallback: FallbackMode = .listen
    /// kdump-watchd's configuration file, which the fallback listener admits by; nil means
    /// the daemon's default path.
    public var config: String?
    /// What `monitor` does when the daemon says this node's crash would not be caught.
    public var monitorReadiness: ReadinessMode = .warn

    public init() {}
}
