import KdumpDecision
import KdumpWire

/// The live state of the daemon: the ``StateTable``, the invalid-datagram counters and the
/// ``WaitQueue`` of fence requests waiting for a message, read on one injected clock. An actor,
/// so that any number of waits can run at once and each valid message wakes exactly the waits
/// it satisfies, with no polling.
///
/// It knows nothing of sockets or files: the daemon feeds it datagrams and requests, and reads
/// its events and the rows it hands out (``HostStatus``: an entry with its state and age, so
/// that no caller needs its own clock or `finished_after` to show one).
public actor HostTracker {
    /// A function that reads both clocks; injected so that tests move time by hand.
    public typealias Clock = @Sendable () -> Timestamp
    /// Told of every change to the table, and whether it started or ended an episode (which
    /// the state file records at once); the state writer's bookkeeping. Called inside the
    /// tracker: it must be quick and must not call the tracker.
    public typealias ChangeObserver = @Sendable (_ episodeBoundary: Bool) -> Void

    private var table: StateTable
    private let clock: Clock
    private var nodeNames: [HostAddress: String] = [:]
    private var invalidCounts: [InvalidDatagramReason: Int] = [:]
    private var waits = WaitQueue<Waiter>()
    /// One timer task, sleeping until the earliest deadline of the queue.
    private var timer: (deadline: MonotonicInstant, task: Task<Void, Never>)?
    private var subscribers: [UInt64: Subscriber] = [:]
    private var nextSubscriberID: UInt64 = 0
    private var changeObserver: ChangeObserver?

    private struct Subscriber {
        var continuation: AsyncStream<TrackerEvent>.Continuation
        var includesMessages: Bool
    }

    /// What the tracker needs to end one wait.
    private struct Waiter: Sendable {
        var continuation: CheckedContinuation<WaitOutcome, Never>
        var cancellation: WaitCancellation?
        var onFinish: (@Sendable (WaitOutcome) -> Void)?
    }

    public init(settings: TableSettings, clock: @escaping Clock) {
        self.table = StateTable(settings: settings)
        self.clock = clock
    }

    /// The row of `entry` now.
    private func status(of entry: HostEntry, at now: MonotonicInstant) -> HostStatus {
        HostStatus(entry: entry, at: now, finishedAfter: table.settings.finishedAfter)
    }

    // MARK: Datagrams

    /// Records a valid version 1 message from `address` and ends the waits it confirms.
    @discardableResult
    public func recordValid(from address: HostAddress) -> [TableEvent] {
        let now = clock()
        let events = table.record(from: address, node: nodeNames[address], at: now)
        publish(events, at: now.monotonic)
        confirmWaits(under: .address(address), at: now.monotonic)
        return events
    }

    /// Records a verified version 2 message (the admission gate checked its MAC, timestamp and
    /// sequence) and ends the waits for its node.
    @discardableResult
    public func recordSigned(_ message: DatagramBatch.Signed) -> [TableEvent] {
        let now = clock()
        let events = table.recordSigned(
            by: message.node, phase: message.phase, from: message.source, sentAt: message.sentAt, at: now)
        publish(events, at: now.monotonic)
        confirmWaits(under: .node(message.node), at: now.monotonic, sentAt: message.sentAt)
        return events
    }

    private func confirmWaits(under key: HostKey, at now: MonotonicInstant, sentAt: WallClockTime? = nil) {
        let confirmed = waits.removeConfirmed(byMessageUnder: key, receivedAt: now, sentAt: sentAt)
        guard !confirmed.isEmpty, let entry = table.entries[key] else { return }
        let row = status(of: entry, at: now)
        for wait in confirmed { finish(wait, with: .confirmed(row)) }
    }

    /// Records a batch of datagrams: valid ones as by ``recordValid(from:)`` and
    /// ``recordSigned(_:)``, invalid ones as by ``recordInvalid(_:from:count:detail:)``.
    public func record(_ batch: DatagramBatch) {
        for address in batch.valid { recordValid(from: address) }
        for message in batch.signed { recordSigned(message) }
        for kind in batch.invalid {
            recordInvalid(kind.reason, from: kind.source, count: kind.count, detail: kind.detail)
        }
    }

    /// Counts datagrams that were not accepted and tells `watch` clients about them.
    public func recordInvalid(
        _ reason: InvalidDatagramReason, from source: HostAddress, count: Int = 1, detail: String? = nil
    ) {
        invalidCounts[reason, default: 0] += count
        broadcast(.invalid(reason: reason, source: source, count: count, at: clock().wall, detail: detail))
    }

    /// Invalid datagrams counted so far, by reason.
    public var invalidDatagrams: [InvalidDatagramReason: Int] { invalidCounts }

    // MARK: Waits

    /// Waits until a valid message under one of `request.keys` confirms the request
    /// (see ``FenceDecision``) or `request.timeout` passes on the tracker's clock, whichever is
    /// first.
    ///
    /// Cancelling the calling task, or firing `cancellation`, ends the wait with
    /// ``WaitOutcome/cancelled``.
    ///
    /// `onFinish`, when given, is called with the outcome inside the tracker the moment the wait
    /// ends, before the caller resumes: the daemon writes the answer there, so that a burst of
    /// confirmations sends every answer before any of the waiting tasks runs again. It must be
    /// quick and must not call the tracker.
    public func wait(
        for request: WaitRequest, cancellation: WaitCancellation? = nil,
        onFinish: (@Sendable (WaitOutcome) -> Void)? = nil
    ) async -> WaitOutcome {
        let requestedAt = clock()
        if let entry = table.confirmingEntry(
            among: request.keys, requestedAt: requestedAt, maxAge: request.maxAge, clockMargin: request.clockMargin)
        {
            let outcome = WaitOutcome.confirmed(status(of: entry, at: requestedAt.monotonic))
            onFinish?(outcome)
            return outcome
        }
        guard request.timeout > .zero else {
            onFinish?(.timedOut)
            return .timedOut
        }
        let id = waits.makeID()
        // Cancelling the task and firing `cancellation` end the wait the same way.
        let cancelWait: @Sendable () -> Void = { Task { await self.endWait(id, with: .cancelled) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || cancellation?.install(cancelWait) == false {
                    onFinish?(.cancelled)
                    continuation.resume(returning: .cancelled)
                    return
                }
                let waiter = Waiter(continuation: continuation, cancellation: cancellation, onFinish: onFinish)
                waits.add(request, id: id, requestedAt: requestedAt, waiter: waiter)
                scheduleTimer()
            }
        } onCancel: {
            cancelWait()
        }
    }

    /// Ends every wait whose deadline has passed on the tracker's clock with
    /// ``WaitOutcome/timedOut``. The tracker's timer calls it; a test that moves the clock by
    /// hand calls it instead of sleeping.
    public func expireWaits() {
        timer?.task.cancel()
        timer = nil
        for wait in waits.removeExpired(at: clock().monotonic) { finish(wait, with: .timedOut) }
        scheduleTimer()
    }

    /// Makes sure the timer task sleeps until the earliest deadline of a wait still queued.
    ///
    /// The sleep is on `ContinuousClock`, which on Linux is `CLOCK_BOOTTIME` like the tracker's
    /// monotonic readings; whatever it says when it wakes, ``expireWaits()`` decides on the
    /// tracker's own clock and sets the timer again for what is left.
    private func scheduleTimer() {
        guard let next = waits.nextDeadline() else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let timer, timer.deadline <= next { return }
        timer?.task.cancel()
        let delay = next.since(clock().monotonic)
        let task = Task {
            // A cancelled sleep means a new timer replaced this one.
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            self.expireWaits()
        }
        timer = (next, task)
    }

    /// Number of waits in flight.
    public var waitsInFlight: Int { waits.count }

    /// Ends every wait with ``WaitOutcome/cancelled`` (shutdown).
    public func cancelAllWaits() {
        for wait in waits.removeAll() { finish(wait, with: .cancelled) }
        scheduleTimer()
    }

    private func endWait(_ id: WaitQueue<Waiter>.ID, with outcome: WaitOutcome) {
        guard let wait = waits.remove(id) else { return }
        finish(wait, with: outcome)
        if waits.isEmpty { scheduleTimer() }
    }

    private func finish(_ wait: WaitQueue<Waiter>.Wait, with outcome: WaitOutcome) {
        wait.waiter.cancellation?.uninstall()
        wait.waiter.onFinish?(outcome)
        wait.waiter.continuation.resume(returning: outcome)
    }

    // MARK: Table maintenance and queries

    /// Announces finished episodes and drops expired entries; the daemon calls it every second.
    @discardableResult
    public func sweep() -> [TableEvent] {
        let now = clock()
        let events = table.sweep(at: now)
        publish(events, at: now.monotonic)
        return events
    }

    /// Applies new table settings.
    public func update(settings: TableSettings) {
        let now = clock().monotonic
        publish(table.update(settings: settings, at: now), at: now)
    }

    /// Sets the address → node name map (from the `nodes` setting) and relabels every entry.
    public func update(nodeNames: [HostAddress: String]) {
        self.nodeNames = nodeNames
        table.relabel(using: nodeNames)
    }

    /// The configured node names and their addresses.
    public var nodes: [String: [HostAddress]] {
        Dictionary(grouping: nodeNames.keys, by: { nodeNames[$0]! }).mapValues { $0.sorted() }
    }

    /// Every entry with its state, sorted by key (addresses, then signing nodes); limited to
    /// `keys` when given.
    public func snapshot(of keys: Set<HostKey>? = nil) -> [HostStatus] {
        let now = clock().monotonic
        return table.entries.values
            .filter { keys?.contains($0.key) ?? true }
            .sorted { $0.key < $1.key }
            .map { status(of: $0, at: now) }
    }

    /// How many entries are dumping and finished, without building a snapshot (health, gauges).
    public func stateCounts() -> (dumping: Int, finished: Int) {
        let now = clock().monotonic
        let dumping = table.entries.values.count {
            $0.state(at: now, finishedAfter: table.settings.finishedAfter) == .dumping
        }
        return (dumping, table.entries.count - dumping)
    }

    /// The keys of the entries that `predicate` picks.
    public func keys(where predicate: (HostEntry) -> Bool) -> Set<HostKey> {
        Set(table.entries.values.filter(predicate).map(\.key))
    }

    /// Removes the entries of `keys`; returns their last rows.
    public func forget(_ keys: Set<HostKey>) -> [HostStatus] {
        let now = clock().monotonic
        let events = table.forget(keys)
        publish(events, at: now)
        return events.map { status(of: $0.entry, at: now) }
    }

    // MARK: Events

    /// A stream of every event from now on. A consumer that falls behind loses the oldest
    /// undelivered events (never blocks the tracker); ending iteration unsubscribes.
    ///
    /// - Parameter includingMessages: whether to receive ``TableEvent/Kind/message`` events, one
    ///   per valid datagram of a running episode; leaving them out saves work under a flood.
    public func events(bufferSize: Int = 1024, includingMessages: Bool = true) -> AsyncStream<TrackerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: TrackerEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        nextSubscriberID += 1
        let id = nextSubscriberID
        subscribers[id] = Subscriber(continuation: continuation, includesMessages: includingMessages)
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UInt64) { subscribers[id] = nil }

    private func publish(_ events: [TableEvent], at now: MonotonicInstant) {
        guard !events.isEmpty else { return }
        changeObserver?(events.contains(where: \.isEpisodeBoundary))
        guard !subscribers.isEmpty else { return }
        for event in events {
            // An entry that just finished or expired shows as finished, whatever the age of its
            // last message says at this instant.
            let row =
                switch event.kind {
                case .finished, .expired:
                    HostStatus(entry: event.entry, state: .finished, age: event.entry.age(at: now))
                case .episodeStarted, .message, .evicted, .forgotten: status(of: event.entry, at: now)
                }
            broadcast(.table(event, status: row))
        }
    }

    private func broadcast(_ event: TrackerEvent) {
        let isMessage = if case .table(let change, _) = event { change.kind == .message } else { false }
        for subscriber in subscribers.values where subscriber.includesMessages || !isMessage {
            subscriber.continuation.yield(event)
        }
    }

    // MARK: Persistence

    /// Sets the one observer of changes (the state writer's bookkeeping).
    public func observeChanges(_ observer: @escaping ChangeObserver) {
        changeObserver = observer
    }

    /// Every entry, in no particular order (the state writer sorts on its own thread).
    public var allEntries: [HostEntry] { Array(table.entries.values) }

    /// Loads entries read from the state file, before any datagram is processed.
    public func restore(_ entries: [HostEntry]) {
        for var entry in entries {
            if !entry.authenticated { entry.node = nodeNames[entry.address] }
            table.restore(entry)
        }
        _ = table.update(settings: table.settings, at: clock().monotonic)
    }
}
