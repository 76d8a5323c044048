import KdumpDecision
import KdumpState
import KdumpWire
import Testing

@Suite struct WaitQueueTests {
    let start = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    /// The request's two clock readings.
    var startTimestamp: Timestamp {
        Timestamp(monotonic: start, wall: WallClockTime(nanosecondsSinceEpoch: 1_796_212_800_000_000_000))
    }

    func request(_ addresses: Set<HostAddress>, maxAge: Duration = .seconds(30), timeout: Duration = .seconds(60))
        -> WaitRequest
    {
        WaitRequest(addresses: addresses, maxAge: maxAge, timeout: timeout)
    }

    @Test func aMessageEndsOnlyTheWaitsItConfirms() {
        var queue = WaitQueue<String>()
        let a = queue.makeID()
        queue.add(request([nodeA]), id: a, requestedAt: startTimestamp, waiter: "a")
        let ab = queue.makeID()
        queue.add(request([nodeA, nodeB]), id: ab, requestedAt: startTimestamp, waiter: "ab")
        let b = queue.makeID()
        queue.add(request([nodeB]), id: b, requestedAt: startTimestamp, waiter: "b")
        let confirmed = queue.removeConfirmed(
            byMessageUnder: .address(nodeA), receivedAt: start.advanced(by: .seconds(1)))
        #expect(confirmed.map(\.waiter) == ["a", "ab"])
        #expect(queue.count == 1)
        #expect(
            queue.removeConfirmed(byMessageUnder: .address(nodeA), receivedAt: start.advanced(by: .seconds(2))).isEmpty)
        #expect(
            queue.removeConfirmed(byMessageUnder: .address(nodeC), receivedAt: start.advanced(by: .seconds(2))).isEmpty)
        #expect(
            queue.removeConfirmed(byMessageUnder: .address(nodeB), receivedAt: start.advanced(by: .seconds(2))).map(
                \.id) == [b])
        #expect(queue.isEmpty)
    }

    @Test func theFenceDecisionDecidesWhichWaitsAMessageConfirms() {
        var queue = WaitQueue<Int>()
        // Upstream semantics (max_age 0): only a message after the request confirms.
        queue.add(request([nodeA], maxAge: .zero), id: queue.makeID(), requestedAt: startTimestamp, waiter: 0)
        #expect(queue.removeConfirmed(byMessageUnder: .address(nodeA), receivedAt: start).isEmpty)
        #expect(
            queue.removeConfirmed(byMessageUnder: .address(nodeA), receivedAt: start.advanced(by: .nanoseconds(1)))
                .count == 1)
    }

    @Test func deadlinesExpireInOrderAndExactlyOnTime() {
        var queue = WaitQueue<Int>()
        for (waiter, seconds) in [(3, 30), (1, 10), (2, 20)] {
            queue.add(
                request([nodeA], timeout: .seconds(seconds)), id: queue.makeID(), requestedAt: startTimestamp,
                waiter: waiter)
        }
        #expect(queue.nextDeadline() == start.advanced(by: .seconds(10)))
        #expect(queue.removeExpired(at: start.advanced(by: .milliseconds(9_999))).isEmpty)
        #expect(queue.removeExpired(at: start.advanced(by: .seconds(20))).map(\.waiter) == [1, 2])
        #expect(queue.nextDeadline() == start.advanced(by: .seconds(30)))
        #expect(queue.removeExpired(at: start.advanced(by: .seconds(3600))).map(\.waiter) == [3])
        #expect(queue.nextDeadline() == nil)
    }

    @Test func aWaitThatEndsEarlyLeavesNoDeadlineBehind() {
        var queue = WaitQueue<Int>()
        let early = queue.makeID()
        queue.add(request([nodeA], timeout: .seconds(5)), id: early, requestedAt: startTimestamp, waiter: 1)
        queue.add(request([nodeB], timeout: .seconds(50)), id: queue.makeID(), requestedAt: startTimestamp, waiter: 2)
        #expect(queue.remove(early)?.waiter == 1)
        #expect(queue.remove(early) == nil)
        #expect(queue.nextDeadline() == start.advanced(by: .seconds(50)))
        #expect(queue.removeExpired(at: start.advanced(by: .seconds(49))).isEmpty)
        // Thousands of waits that end early do not pile up in the heap.
        for index in 0..<5000 {
            let id = queue.makeID()
            queue.add(request([nodeC], timeout: .seconds(1)), id: id, requestedAt: startTimestamp, waiter: index)
            queue.remove(id)
        }
        #expect(queue.count == 1)
        #expect(queue.removeAll().map(\.waiter) == [2])
        #expect(queue.isEmpty && queue.nextDeadline() == nil)
    }
}
