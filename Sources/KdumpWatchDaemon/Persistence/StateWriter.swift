import KdumpAdmission
import KdumpDecision
import KdumpState
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Persists the table (Documentation/design.md §2): at once when an episode starts or ends, at most once a second
/// for other changes, and a last time at shutdown.
///
/// "At once" means the next write, and writes are at least ``boundarySpacing`` apart: when many
/// hosts panic together (a bad kernel update on a whole cluster), their episode starts share
/// writes instead of the writer rewriting and `fsync`ing the whole table back to back while the
/// same two cores answer their fences.
struct StateWriter: Service, CustomStringConvertible {
    let store: StateStore
    let context: DaemonContext
    let pending: PendingStateWrites
    var description: String { "StateWriter(\(store.path))" }

    static let boundarySpacing: Duration = .milliseconds(25)

    func run() async {
        let tracker = context.tracker
        let pending = self.pending
        await cancelWhenGracefulShutdown {
            var lastWrite: ContinuousClock.Instant?
            for await _ in pending.changes {
                if let lastWrite, !pending.hasPendingBoundary {
                    // Batch plain messages, but never hold back an episode start or end.
                    let due = lastWrite.advanced(by: .seconds(1))
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { try? await Task.sleep(until: due) }
                        group.addTask { await pending.waitForBoundary() }
                        await group.next()
                        group.cancelAll()
                    }
                    if Task.isCancelled { break }
                }
                if let lastWrite, ContinuousClock.now < lastWrite.advanced(by: Self.boundarySpacing) {
                    try? await Task.sleep(until: lastWrite.advanced(by: Self.boundarySpacing))
                    if Task.isCancelled { break }
                }
                if pending.take() {
                    await write(await tracker.allEntries)
                    lastWrite = .now
                }
            }
        }
        await write(await tracker.allEntries)
    }

    /// Encodes and writes on a thread of the blocking pool: `fsync` can take milliseconds, and
    /// the cooperative threads must keep answering fence agents meanwhile. Changes made during a
    /// write are taken by the next one.
    private func write(_ entries: [HostEntry]) async {
        let store = self.store
        let replay = context.replay.snapshot
        do {
            // The future-based call: a write that started must finish even when a shutdown
            // cancels the loop around it (the async variant would give up with CancellationError).
            try await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) {
                try store.save(entries, replay: replay)
            }.get()
            context.metrics.stateWrites.increment()
            if !context.isStateWritable {
                context.logger.notice("state file \(store.path) is writable again")
                context.isStateWritable = true
            }
        } catch {
            context.metrics.stateWriteFailures.increment()
            if context.isStateWritable {
                // Logged once per outage: the daemon keeps answering from memory meanwhile.
                context.logger.error("cannot write state file: \(error); answering from memory until it works again")
                context.isStateWritable = false
            }
        }
    }
}
