import KdumpControl
import KdumpDecision
import NIOConcurrencyHelpers
import NIOCore

/// `client_idle_timeout` for one connection: the client must complete a request within the
/// limit after connecting and after each answer; the time spent answering does not count. It
/// also tells ``ControlClients`` how long the connection has waited for a request, so that a
/// full daemon can close the one idle longest.
///
/// One timer per connection that looks at the state when it fires and sets itself again,
/// rather than a timer scheduled and cancelled around every request: the session runs off the
/// event loop, and each of those was a hand-over to the event loop's thread.
final class IdleLimit: Sendable {
    private struct State {
        /// When the connection started waiting for a request; nil while one is being answered.
        var waitingSince: NIODeadline?
        var stopped = false
    }

    private let state: NIOLockedValueBox<State>
    private let channel: any Channel
    private let timeout: TimeAmount
    private let seconds: Double
    /// Who is at the other end, for the log: `uid 1000 (pid 4242)`.
    let peer: String

    init(channel: any Channel, timeout: Duration, peer: String) {
        self.channel = channel
        self.timeout = .nanoseconds(timeout.nanosecondsClamped)
        self.seconds = timeout.secondsValue
        self.peer = peer
        // Times come from the channel's event loop, whose clock tests can move by hand.
        let now = channel.eventLoop.now
        state = NIOLockedValueBox(State(waitingSince: now))
        check(at: now + self.timeout)
    }

    /// A request is being answered; false when the connection was given up (evicted) and must
    /// not start it.
    func pause() -> Bool {
        state.withLockedValue { state in
            guard !state.stopped else { return false }
            state.waitingSince = nil
            return true
        }
    }

    /// The answer is out: the next request is due within the limit from now.
    func restart() {
        let now = channel.eventLoop.now
        state.withLockedValue { if !$0.stopped { $0.waitingSince = now } }
    }

    /// The connection is ending.
    func stop() { state.withLockedValue { $0.stopped = true } }

    /// Since when the connection has waited for a request; nil while it is being answered.
    var idleSince: NIODeadline? { state.withLockedValue { $0.stopped ? nil : $0.waitingSince } }

    /// Gives the connection up if it is still waiting for a request; returns for how many
    /// seconds it had, or nil when it is busy (or ended) and must be left alone.
    func claimForEviction() -> Double? {
        let now = channel.eventLoop.now
        return state.withLockedValue { state in
            guard !state.stopped, let since = state.waitingSince else { return nil }
            state.stopped = true
            return Double((now - since).nanoseconds) / 1e9
        }
    }

    /// Sends `error` and closes the connection.
    func close(with error: ControlError) {
        let line = ControlCoding.line(ControlResponse<EmptyPayload>(op: nil, id: nil, error: error))
        let channel = self.channel
        channel.writeAndFlush(ByteBuffer(bytes: line)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func check(at deadline: NIODeadline) {
        channel.eventLoop.scheduleTask(deadline: deadline) { [self] in
            let now = channel.eventLoop.now
            let due: NIODeadline? = state.withLockedValue { state in
                if state.stopped { return nil }
                return (state.waitingSince ?? now) + timeout
            }
            guard let due, channel.isActive else { return }
            guard due <= now else { return check(at: due) }
            close(with: ControlError(.idleTimeout, "no complete request within \(seconds) s; closing"))
        }
    }
}
