import KdumpDecision
import KdumpWire

/// Something a `watch` client or the logs want to hear about.
public enum TrackerEvent: Sendable, Equatable {
    /// A change to the table, with the entry's row at the moment it happened.
    case table(TableEvent, status: HostStatus)
    /// Datagrams that were not accepted: `count` of them from `source`, for `reason`, in one
    /// read burst; `detail` is what the log adds (how far a sender's clock is off).
    case invalid(reason: InvalidDatagramReason, source: HostAddress, count: Int, at: WallClockTime, detail: String?)
}
