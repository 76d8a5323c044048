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

/// The order in which waits ended.
actor OrderRecorder {
    private(set) var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}

/// What the tracker told its change observer.
final class ChangeRecorder: Sendable {
    private let recorded = Mutex<[Bool]>([])
    func append(_ boundary: Bool) { recorded.withLock { $0.append(boundary) } }
    var values: [Bool] { recorded.withLock { $0 } }
}

/// Polls `condition` for up to a minute (test set-up only; the code under test never polls).
func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within 60 s")
            return
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

extension TableSettings {
    /// Table settings for tests: the daemon's defaults unless a test says otherwise.
    static func testing(
        finishedAfter: Duration = .seconds(30), retain: Duration = .seconds(86_400), maxHosts: Int = 4096
    ) -> TableSettings {
        TableSettings(finishedAfter: finishedAfter, retain: retain, maxHosts: maxHosts)
    }
}

extension WaitRequest {
    /// A version 1 request: the table keys of `addresses`.
    init(addresses: Set<HostAddress>, maxAge: Duration, timeout: Duration) {
        self.init(keys: Set(addresses.map(HostKey.address)), maxAge: maxAge, timeout: timeout)
    }
}
