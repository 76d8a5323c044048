import Glibc

/// Reads the clocks the state table runs on.
public enum SystemClock {
    /// `CLOCK_BOOTTIME` and `CLOCK_REALTIME`, read together.
    public static func now() -> Timestamp {
        var boot = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boot)
        clock_gettime(CLOCK_REALTIME, &wall)
        return Timestamp(
            monotonic: MonotonicInstant(nanoseconds: UInt64(boot.tv_sec) * 1_000_000_000 + UInt64(boot.tv_nsec)),
            wall: WallClockTime(nanosecondsSinceEpoch: Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec)))
    }
}
