import KdumpDecision
import KdumpWire

/// How a wait ended.
public enum WaitOutcome: Sendable, Equatable {
    /// A valid message confirmed the request; the row of its sender at that moment.
    case confirmed(HostStatus)
    /// The deadline passed with no confirming message.
    case timedOut
    /// The waiter went away (client disconnected or the daemon is shutting down).
    case cancelled
}
