import KdumpDecision
import KdumpState
import KdumpWire
import Synchronization
import Testing

/// A hand-driven clock: both readings move together unless a test jumps the wall clock.
final class ManualClock: Sendable {
    private let readings = Mutex((monotonic: UInt64(1_000_000_000_000), wall: Int64(1_795_305_708_000_000_000)))

    func now() -> Timestamp {
        readings.withLock {
            Timestamp(
                monotonic: MonotonicInstant(nanoseconds: $0.monotonic),
                wall: WallClockTime(nanosecondsSinceEpoch: $0.wall))
        }
    }

    func advance(_ duration: Duration) {
        readings.withLock {
            $0.monotonic += UInt64(duration.nanosecondsClamped)
            $0.wall += duration.nanosecondsClamped
        }
    }

    /// Sets the wall clock by `delta` without moving the monotonic clock.
    func jumpWallClock(by delta: Duration) {
        readings.withLock { $0.wall += delta.nanosecondsClamped }
    }
}

let nodeA = HostAddress("10.0.0.1")!
let nodeB = HostAddress("10.0.0.2")!
let nodeC = HostAddress("fd00::3")!
