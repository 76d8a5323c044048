import KdumpWire

/// The fence decision (Documentation/design.md §3): the one rule that says whether a recorded message may confirm
/// a fence request. Every path that answers "fenced" goes through ``confirms(lastMessage:requestedAt:maxAge:)``.
public enum FenceDecision {
    /// Whether a valid message received at `lastMessage` confirms a request made at `requestedAt`.
    ///
    /// A message confirms when it arrived after the request, or at most `maxAge` before
    /// it; `maxAge == 0` admits only messages that arrive after the request (upstream
    /// semantics). A message whose monotonic arrival time is unknown never confirms.
    public static func confirms(
        lastMessage: MonotonicInstant?, requestedAt: MonotonicInstant, maxAge: Duration
    ) -> Bool {
        guard let lastMessage else { return false }
        if lastMessage > requestedAt { return true }
        guard maxAge > .zero else { return false }
        return requestedAt.since(lastMessage) <= maxAge
    }
}

/// A fence request as the tracker sees it: the addresses of every target, when it was made,
/// how old a message may be, and when it gives up.
public struct WaitRequest: Sendable {
    public var addresses: Set<HostAddress>
    public var maxAge: Duration
    public var timeout: Duration

    public init(addresses: Set<HostAddress>, maxAge: Duration, timeout: Duration) {
        self.addresses = addresses
        self.maxAge = maxAge
        self.timeout = timeout
    }
}

/// How a wait ended.
public enum WaitOutcome: Sendable, Equatable {
    /// A valid message from `entry.address` confirmed the request.
    case confirmed(HostEntry)
    /// The deadline passed with no confirming message.
    case timedOut
    /// The waiter went away (client disconnected or the daemon is shutting down).
    case cancelled
}
