import KdumpDecision
import KdumpState
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Reads and writes the state file (`state.json` in `state_dir`).
struct StateStore: Sendable {
    let directory: String
    /// The kernel's boot id, read once: it cannot change while the daemon runs.
    let bootID = SystemClock.bootID()
    var path: String { directory + "/state.json" }

    /// The persisted entries; a damaged or foreign file is moved aside (never a crash loop)
    /// and the daemon starts empty.
    func load(logger: Logger) -> [HostEntry] {
        guard FileIO.exists(path) else { return [] }
        do {
            let bytes = try FileIO.readBytes(path, limit: 64 << 20)
            let now = SystemClock.now()
            return try PersistedState.decode(bytes, currentBootID: bootID, now: now.monotonic).entries
        } catch {
            let aside = path + ".bad-" + SystemClock.now().wall.rfc3339.filter { $0 != ":" }
            let moved = FileIO.rename(path, to: aside)
            logger.error(
                "cannot load state file \(path): \(error); \(moved ? "moved it to \(aside)" : "could not move it aside") and starting with an empty table"
            )
            return []
        }
    }

    func save(_ entries: [HostEntry]) throws {
        let state = PersistedState(
            bootID: bootID, writtenAt: SystemClock.now().wall, entries: entries.sorted { $0.address < $1.address })
        try FileIO.replaceAtomically(path, with: state.encoded(), mode: 0o640)
    }
}

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
    var description: String { "StateWriter(\(store.path))" }

    static let boundarySpacing: Duration = .milliseconds(25)

    func run() async {
        let tracker = context.tracker
        let changes = await tracker.changeSignal()
        await cancelWhenGracefulShutdown {
            var lastWrite: ContinuousClock.Instant?
            for await _ in changes {
                if let lastWrite, !(await tracker.hasPendingBoundary) {
                    // Batch plain messages, but never hold back an episode start or end.
                    let due = lastWrite.advanced(by: .seconds(1))
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { try? await Task.sleep(until: due) }
                        group.addTask { await tracker.waitForBoundary() }
                        await group.next()
                        group.cancelAll()
                    }
                    if Task.isCancelled { break }
                }
                if let lastWrite, ContinuousClock.now < lastWrite.advanced(by: Self.boundarySpacing) {
                    try? await Task.sleep(until: lastWrite.advanced(by: Self.boundarySpacing))
                    if Task.isCancelled { break }
                }
                if let pending = await tracker.takeChanges() {
                    await write(pending.entries)
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
        do {
            // The future-based call: a write that started must finish even when a shutdown
            // cancels the loop around it (the async variant would give up with CancellationError).
            try await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) {
                try store.save(entries)
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
