import KdumpAdmission
import KdumpDecision
import KdumpState
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Reads and writes the state file (`state.json` in `state_dir`).
struct StateStore: Sendable {
    let directory: String
    /// The kernel's boot id, read once: it cannot change while the daemon runs.
    let bootID = SystemClock.bootID()
    var path: String { directory + "/state.json" }

    /// The persisted entries and replay records; a damaged or foreign file is moved aside
    /// (never a crash loop) and the daemon starts empty.
    func load(logger: Logger) -> (entries: [HostEntry], replay: [String: ReplayGuard.Record]) {
        guard FileIO.exists(path) else { return ([], [:]) }
        do {
            let bytes = try FileIO.readBytes(path, limit: 64 << 20)
            let now = SystemClock.now()
            let state = try PersistedState.decode(bytes, currentBootID: bootID, now: now.monotonic)
            return (state.entries, state.replay)
        } catch {
            let aside = path + ".bad-" + SystemClock.now().wall.rfc3339.filter { $0 != ":" }
            let moved = FileIO.rename(path, to: aside)
            logger.error(
                "cannot load state file \(path): \(error); \(moved ? "moved it to \(aside)" : "could not move it aside") and starting with an empty table"
            )
            return ([], [:])
        }
    }

    func save(_ entries: [HostEntry], replay: [String: ReplayGuard.Record]) throws {
        let state = PersistedState(
            bootID: bootID, writtenAt: SystemClock.now().wall, entries: entries.sorted { $0.key < $1.key },
            replay: replay)
        try FileIO.replaceAtomically(path, with: state.encoded(), mode: 0o640)
    }
}

/// What the state file lacks: whether the table changed since the last write, and whether an
/// episode started or ended in the meantime (which is written at once, not batched). The
/// tracker tells it of every change (``HostTracker/observeChanges(_:)``); the writer waits on
/// it and takes the changes when it writes.
final class PendingStateWrites: Sendable {
    private struct State {
        var dirty = false
        var boundary = false
        var boundaryWaiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let (signal, signalContinuation) = AsyncStream.makeStream(
        of: Void.self, bufferingPolicy: .bufferingNewest(1))

    /// Fires whenever the table changed since the last ``take()``; one consumer only.
    var changes: AsyncStream<Void> { signal }

    /// Records a change; the tracker calls it inside its own isolation, so it only flips flags.
    func changed(episodeBoundary: Bool) {
        let (wasDirty, waiter) = state.withLock { state in
            let wasDirty = state.dirty
            state.dirty = true
            var waiter: CheckedContinuation<Void, Never>?
            if episodeBoundary {
                state.boundary = true
                waiter = state.boundaryWaiter
                state.boundaryWaiter = nil
            }
            return (wasDirty, waiter)
        }
        waiter?.resume()
        // The writer takes every change at once; one signal per batch of changes is enough.
        if !wasDirty || episodeBoundary { signalContinuation.yield() }
    }

    /// Whether an unsaved episode start or end is waiting.
    var hasPendingBoundary: Bool { state.withLock { $0.boundary } }

    /// Whether anything changed since the last call; clears the record, episode starts and ends
    /// included. The writer reads the entries after this, so no change is missed.
    func take() -> Bool {
        state.withLock { state in
            defer {
                state.dirty = false
                state.boundary = false
            }
            return state.dirty
        }
    }

    /// Returns once an unsaved episode start or end is pending, or when the calling task is
    /// cancelled. One caller (the writer) at a time.
    func waitForBoundary() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.boundary || Task.isCancelled { return true }
                    state.boundaryWaiter?.resume()
                    state.boundaryWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.boundaryWaiter = nil }
                return state.boundaryWaiter
            }
            waiter?.resume()
        }
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
