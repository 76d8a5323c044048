import KdumpControl
import KdumpDecision
import KdumpState

/// Writes the answer to a `wait` the moment the tracker ends it (``HostTracker/wait(for:cancellation:onFinish:)``),
/// without waiting for the session's task to run again: in a burst of confirmations the tasks
/// queue behind one another, and the answers no longer queue with them. The one place a wait is
/// answered: confirmed, timed out, or ended by the daemon's shutdown (a client that went away
/// gets nothing).
struct WaitAnswer: Sendable {
    let reply: @Sendable ([UInt8]) -> Void
    let requestID: String?
    /// Which target each table key belongs to.
    let owners: [HostKey: String]
    let started: ContinuousClock.Instant
    /// Fired when the client went away: a cancelled wait is then answered to nobody.
    let clientGone: WaitCancellation

    func write(_ outcome: WaitOutcome) {
        let waited = started.duration(to: .now).secondsValue
        let line: [UInt8]
        switch outcome {
        case .confirmed(let row):
            line = ControlCoding.line(
                ControlResponse(
                    op: .wait, id: requestID,
                    payload: WaitReport(
                        result: .confirmed, host: HostReport(row), target: owners[row.entry.key],
                        waitedSeconds: waited)
                ))
        case .timedOut:
            line = ControlCoding.line(
                ControlResponse(
                    op: .wait, id: requestID,
                    payload: WaitReport(result: .timeout, host: nil, target: nil, waitedSeconds: waited)))
        case .cancelled:
            guard !clientGone.isCancelled else { return }
            line = ControlCoding.line(
                ControlResponse<EmptyPayload>(
                    op: .wait, id: requestID, error: ControlError(.shuttingDown, "daemon is shutting down")))
        }
        reply(line)
    }
}
