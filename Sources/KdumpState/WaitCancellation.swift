import Synchronization

/// A way to end a wait other than cancelling its task: the daemon fires it when the client
/// that asked for the wait hangs up. Firing it before the wait starts ends the wait at once;
/// it holds the handler of at most one wait at a time (a control connection runs one request
/// at a time), so one token can serve every wait of a connection.
public final class WaitCancellation: Sendable {
    private struct State {
        var isCancelled = false
        var handler: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { state.withLock { $0.isCancelled } }

    /// Ends the wait that is running, if any, and every later one at once.
    public func cancel() {
        let handler = state.withLock { state in
            state.isCancelled = true
            defer { state.handler = nil }
            return state.handler
        }
        handler?()
    }

    /// Registers the running wait's handler; false when already cancelled.
    func install(_ handler: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard !state.isCancelled else { return false }
            state.handler = handler
            return true
        }
    }

    func uninstall() {
        state.withLock { $0.handler = nil }
    }
}
