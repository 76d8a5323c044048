import KdumpAdmission
import KdumpDecision
import KdumpState
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

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
