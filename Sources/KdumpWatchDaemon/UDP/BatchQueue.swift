import KdumpState
import Synchronization

/// The datagram batches on their way from the UDP event loop to the tracker, bounded in two ways
/// (Documentation/design.md §6).
///
/// A batch of invalid datagrams only is work that stands between a fence request and its
/// answer under a flood: at most ``invalidOnlyLimit`` of them wait, and the next is dropped and
/// counted. A batch with a valid message is never dropped for that: a burst of capture kernels
/// (a thousand nodes announcing themselves at once) must reach the table, or their fences would
/// time out; such batches are bounded only by ``limit`` (4096 batches of 64 datagrams, 16 MB at
/// worst), which the per-sender rate limit keeps far away.
final class BatchQueue: Sendable {
    static let invalidOnlyLimit = 16
    static let limit = 4096

    let batches: AsyncStream<DatagramBatch>
    private let continuation: AsyncStream<DatagramBatch>.Continuation
    private let queued = Mutex((all: 0, invalidOnly: 0))

    init() {
        (batches, continuation) = AsyncStream.makeStream(of: DatagramBatch.self)
    }

    /// Queues `batch`; false when it was dropped.
    func push(_ batch: DatagramBatch) -> Bool {
        let invalidOnly = batch.validCount == 0
        let admitted = queued.withLock { counts in
            guard counts.all < Self.limit, !invalidOnly || counts.invalidOnly < Self.invalidOnlyLimit else {
                return false
            }
            counts.all += 1
            if invalidOnly { counts.invalidOnly += 1 }
            return true
        }
        guard admitted else { return false }
        continuation.yield(batch)
        return true
    }

    /// Ends the stream (the socket closed).
    func finish() { continuation.finish() }

    /// Takes the batches in order, counting each out of the queue as it goes to `body`.
    func consume(_ body: (DatagramBatch) async -> Void) async {
        for await batch in batches {
            let invalidOnly = batch.validCount == 0
            queued.withLock { counts in
                counts.all -= 1
                if invalidOnly { counts.invalidOnly -= 1 }
            }
            await body(batch)
        }
    }
}
