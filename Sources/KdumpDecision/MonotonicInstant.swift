/// A reading of the monotonic clock (`CLOCK_BOOTTIME`), in nanoseconds since the machine booted.
///
/// Ages and freshness are computed on this clock only, so setting the wall clock back or
/// forward can never make an old message look fresh. It keeps counting while the machine is
/// suspended and is shared by every process of one boot, which lets a restarted daemon keep
/// exact ages for the messages it persisted (see ``PersistedState``).
public struct MonotonicInstant: Hashable, Comparable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    public func since(_ earlier: MonotonicInstant) -> Duration {
        guard nanoseconds >= earlier.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - earlier.nanoseconds))
    }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        let delta = duration.nanosecondsClamped
        if delta >= 0 {
            return MonotonicInstant(nanoseconds: nanoseconds &+ UInt64(delta))
        }
        let back = delta.magnitude
        return MonotonicInstant(nanoseconds: nanoseconds > back ? nanoseconds - back : 0)
    }
}
