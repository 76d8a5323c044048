import KdumpDecision
import KdumpWire

/// A fence request as the tracker sees it: the table keys that may confirm it (the targets'
/// addresses and, with protocol version 2, their node names), how old a message may be, and
/// when it gives up.
public struct WaitRequest: Sendable {
    public var keys: Set<HostKey>
    public var maxAge: Duration
    public var timeout: Duration
    /// How far a signed message's own timestamp may lie beyond `maxAge` before the request
    /// (`clock_margin`, Documentation/design.md §3); zero, the strictest, unless the daemon
    /// gives its setting.
    public var clockMargin: Duration

    public init(keys: Set<HostKey>, maxAge: Duration, timeout: Duration, clockMargin: Duration = .zero) {
        self.keys = keys
        self.maxAge = maxAge
        self.timeout = timeout
        self.clockMargin = clockMargin
    }
}
