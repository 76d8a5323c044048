import KdumpState
import KdumpWire
import Testing

@testable import KdumpWatchDaemon

/// The queue between the UDP loop and the tracker (Documentation/design.md §6): garbage is
/// bounded, valid messages are not dropped for it.
@Suite struct BatchQueueTests {
    func invalidOnly() -> DatagramBatch {
        var batch = DatagramBatch()
        batch.appendInvalid(.short, from: HostAddress("192.0.2.1")!)
        return batch
    }

    func valid(_ index: Int) -> DatagramBatch {
        var batch = DatagramBatch()
        batch.valid = [HostAddress(ipv4: 10, 3, UInt8(index / 250), UInt8(index % 250 + 1))]
        return batch
    }

    @Test func batchesOfGarbageBeyondSixteenAreDroppedButValidOnesNever() async {
        let queue = BatchQueue()
        for _ in 0..<BatchQueue.invalidOnlyLimit { #expect(queue.push(invalidOnly())) }
        #expect(!queue.push(invalidOnly()), "the 17th batch of garbage is dropped")
        // A burst of a thousand capture kernels behind the garbage: every one is queued.
        for index in 0..<1000 { #expect(queue.push(valid(index))) }
        queue.finish()
        var validSeen = 0
        var garbageSeen = 0
        await queue.consume { batch in
            validSeen += batch.valid.count
            garbageSeen += batch.invalidCount
        }
        #expect(validSeen == 1000 && garbageSeen == BatchQueue.invalidOnlyLimit)
    }

    @Test func takingABatchMakesRoomAgain() async {
        let queue = BatchQueue()
        for _ in 0..<BatchQueue.invalidOnlyLimit { #expect(queue.push(invalidOnly())) }
        #expect(!queue.push(invalidOnly()))
        var taken = 0
        let consumer = Task {
            await queue.consume { _ in taken += 1 }
            return taken
        }
        // The consumer drains the queue; once it is empty, garbage is queued again.
        while !queue.push(invalidOnly()) { await Task.yield() }
        queue.finish()
        #expect(await consumer.value == BatchQueue.invalidOnlyLimit + 1)
    }
}
