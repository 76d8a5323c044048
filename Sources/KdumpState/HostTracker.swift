import HeapModule
import KdumpDecision
import KdumpWire
import Synchronization

/// Something a `watch` client or the logs want to hear about.
public enum TrackerEvent: Sendable, Equatable {
    /// A change to the table.
    case table(TableEvent)
    /// A datagram that was not accepted; `source` is its sender.
    case invalid(reason: InvalidDatagramReason, source: HostAddress, at: WallClockTime)
}

/// The live state of the daemon: the ``StateTable``, the invalid-datagram counters and every
/// fence request waiting for a message. An actor, so that any number of waits can run at once
/// and each valid message wakes exactly the waits it satisfies, with no polling.
///
/// It knows nothing of sockets or files: the daemon feeds it datagrams and requests, and
/// reads its events and snapshots.
public actor HostTracker {
    /// A function that reads both clocks; injected so tests can move time.
    public typealias Clock = @Sendable () -> Timestamp

    private var table: StateTable
    private let clock: Clock
    private var nodeNames: [HostAddress: String] = [:]
    private var invalidCounts: [InvalidDatagramReason: Int] = [:]
    private var waiters: [UInt64: Waiter] = [:]
    /// The waits interested in each address: a message touches only its own waits, so a
    /// thousand concurrent fences cost a thousand lookups, not a million comparisons.
    private var waitersByAddress: [HostAddress: Set<UInt64>] = [:]
    private var nextWaiterID: UInt64 = 0
    /// Every wait's deadline, earliest first; entries of waits that already ended are skipped
    /// when they reach the top. One timer task sleeps until the earliest, instead of a timer
    /// task per wait: a thousand concurrent fences would otherwise cost a thousand tasks, each
    /// woken once more when its wait ends.
    private var deadlines = Heap<WaitDeadline>()
    private var timer: (deadline: ContinuousClock.Instant, task: Task<Void, Never>)?
    private var subscribers: [UInt64: Subscriber] = [:]
    private var nextSubscriberID: UInt64 = 0
    private var dirty = false
    private var boundaryPending = false
    private var persistenceSignal: AsyncStream<Void>.Continuation?
    private var boundaryWaiter: CheckedContinuation<Void, Never>?

    private struct Subscriber {
        var continuation: AsyncStream<TrackerEvent>.Continuation
        var includesMessages: Bool
    }

    private struct Waiter {
        var request: WaitRequest
        var requestedAt: MonotonicInstant
        var continuation: CheckedContinuation<WaitOutcome, Never>
        var cancellation: WaitCancellation?
        var onFinish: (@Sendable (WaitOutcome) -> Void)?
    }

    private struct WaitDeadline: Comparable {
        var instant: ContinuousClock.Instant
        var id: UInt64

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.instant, lhs.id) < (rhs.instant, rhs.id)
        }
    }

    public init(settings: TableSettings = TableSettings(), clock: @escaping Clock) {
        self.table = StateTable(settings: settings)
        self.clock = clock
    }

    // MARK: Datagrams

    /// Records a valid message from `address` and wakes the waits it satisfies.
    @discardableResult
    public func recordValid(from address: HostAddress) -> [TableEvent] {
        let now = clock()
        let events = table.record(from: address, node: nodeNames[address], at: now)
        publish(events)
        if let interested = waitersByAddress[address] {
            let entry = table.entries[address]!
            for id in interested {
                guard let waiter = waiters[id],
                    FenceDecision.confirms(
                        lastMessage: entry.lastSeenMonotonic, requestedAt: waiter.requestedAt,
                        maxAge: waiter.request.maxAge)
                else { continue }
                finishWait(id, with: .confirmed(entry))
            }
        }
        return events
    }

    /// Records a batch of datagrams in arrival order: valid ones as by ``recordValid(from:)``,
    /// invalid ones as by ``recordInvalid(_:from:)``.
    public func record(_ batch: DatagramBatch) {
        for address in batch.valid { recordValid(from: address) }
        for (reason, source) in batch.invalid { recordInvalid(reason, from: source) }
    }

    /// Counts a datagram that was not accepted and tells `watch` clients about it.
    public func recordInvalid(_ reason: InvalidDatagramReason, from source: HostAddress) {
        invalidCounts[reason, default: 0] += 1
        broadcast(.invalid(reason: reason, source: source, at: clock().wall))
    }

    /// Invalid datagrams counted so far, by reason.
    public var invalidDatagrams: [InvalidDatagramReason: Int] { invalidCounts }

    // MARK: Waits

    /// Waits until a valid message from one of `request.addresses` confirms the request
    /// (see ``FenceDecision``) or `request.timeout` passes, whichever is first.
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
        let requestedAt = clock().monotonic
        if let entry = table.confirmingEntry(
            among: request.addresses, requestedAt: requestedAt, maxAge: request.maxAge)
        {
            onFinish?(.confirmed(entry))
            return .confirmed(entry)
        }
        guard request.timeout > .zero else {
            onFinish?(.timedOut)
            return .timedOut
        }
        nextWaiterID += 1
        let id = nextWaiterID
        let deadline = ContinuousClock.now.advanced(by: request.timeout)
        // Cancelling the task and firing `cancellation` end the wait the same way.
        let cancelWait: @Sendable () -> Void = { Task { await self.finishWait(id, with: .cancelled) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || cancellation?.install(cancelWait) == false {
                    onFinish?(.cancelled)
                    continuation.resume(returning: .cancelled)
                    return
                }
                waiters[id] = Waiter(
                    request: request, requestedAt: requestedAt, continuation: continuation,
                    cancellation: cancellation, onFinish: onFinish)
                for address in request.addresses { waitersByAddress[address, default: []].insert(id) }
                deadlines.insert(WaitDeadline(instant: deadline, id: id))
                scheduleTimer()
            }
        } onCancel: {
            cancelWait()
        }
    }

    /// Makes sure the timer task sleeps until the earliest deadline of a wait still running.
    private func scheduleTimer() {
        while let earliest = deadlines.min, waiters[earliest.id] == nil { deadlines.removeMin() }
        // Waits that ended early leave their deadlines behind; drop them before they pile up.
        if deadlines.count > 2 * waiters.count + 64 {
            deadlines = Heap(deadlines.unordered.filter { waiters[$0.id] != nil })
        }
        guard let earliest = deadlines.min else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let timer, timer.deadline <= earliest.instant { return }
        timer?.task.cancel()
        let task = Task { [instant = earliest.instant] in
            // A cancelled sleep means a new timer replaced this one.
            guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
            self.expireWaits()
        }
        timer = (earliest.instant, task)
    }

    private func expireWaits() {
        timer = nil
        let now = ContinuousClock.now
        while let earliest = deadlines.min, earliest.instant <= now {
            deadlines.removeMin()
            finishWait(earliest.id, with: .timedOut)
        }
        scheduleTimer()
    }

    /// Number of waits in flight.
    public var waitsInFlight: Int { waiters.count }

    /// Ends every wait with ``WaitOutcome/cancelled`` (shutdown).
    public func cancelAllWaits() {
        for id in waiters.keys { finishWait(id, with: .cancelled) }
    }

    private func finishWait(_ id: UInt64, with outcome: WaitOutcome) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        for address in waiter.request.addresses {
            waitersByAddress[address]?.remove(id)
            if waitersByAddress[address]?.isEmpty == true { waitersByAddress[address] = nil }
        }
        waiter.cancellation?.uninstall()
        if waiters.isEmpty {
            timer?.task.cancel()
            timer = nil
            deadlines = Heap()
        }
        waiter.onFinish?(outcome)
        waiter.continuation.resume(returning: outcome)
    }

    // MARK: Table maintenance and queries

    /// Announces finished episodes and drops expired entries; the daemon calls it every second.
    @discardableResult
    public func sweep() -> [TableEvent] {
        let events = table.sweep(at: clock())
        publish(events)
        return events
    }

    /// Applies new table settings.
    public func update(settings: TableSettings) {
        publish(table.update(settings: settings, at: clock().monotonic))
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

    /// Every entry with its state, sorted by address; limited to `addresses` when given.
    public func snapshot(of addresses: Set<HostAddress>? = nil) -> [HostStatus] {
        let now = clock().monotonic
        let settings = table.settings
        return table.entries.values
            .filter { addresses?.contains($0.address) ?? true }
            .sorted { $0.address < $1.address }
            .map { HostStatus(entry: $0, at: now, finishedAfter: settings.finishedAfter) }
    }

    /// How many entries are dumping and finished, without building a snapshot (health, gauges).
    public func stateCounts() -> (dumping: Int, finished: Int) {
        let now = clock().monotonic
        let dumping = table.entries.values.count {
            $0.state(at: now, finishedAfter: table.settings.finishedAfter) == .dumping
        }
        return (dumping, table.entries.count - dumping)
    }

    /// Removes the entries of `addresses`; returns what was removed.
    public func forget(_ addresses: Set<HostAddress>) -> [HostEntry] {
        let events = table.forget(addresses)
        publish(events)
        return events.map(\.entry)
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

    private func publish(_ events: [TableEvent]) {
        guard !events.isEmpty else { return }
        let wasDirty = dirty
        dirty = true
        let boundary = events.contains(where: \.isEpisodeBoundary)
        if boundary {
            boundaryPending = true
            boundaryWaiter?.resume()
            boundaryWaiter = nil
        }
        // The writer takes every change at once; one signal per batch of changes is enough.
        if !wasDirty || boundary { persistenceSignal?.yield() }
        for event in events { broadcast(.table(event)) }
    }

    private func broadcast(_ event: TrackerEvent) {
        let isMessage = if case .table(let change) = event { change.kind == .message } else { false }
        for subscriber in subscribers.values where subscriber.includesMessages || !isMessage {
            subscriber.continuation.yield(event)
        }
    }

    // MARK: Persistence

    /// A signal that fires whenever the table changed since the last ``takeChanges()``.
    /// Only one consumer (the state writer) may use it.
    public func changeSignal() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
        persistenceSignal = continuation
        if dirty { continuation.yield() }
        return stream
    }

    /// The entries to persist (in no particular order) if anything changed since the last
    /// call, and whether an episode started or ended in the meantime (which is written at once,
    /// not batched).
    public func takeChanges() -> (entries: [HostEntry], episodeBoundary: Bool)? {
        guard dirty else { return nil }
        defer {
            dirty = false
            boundaryPending = false
        }
        // Unsorted: the writer sorts on its own thread, not while the tracker waits.
        return (Array(table.entries.values), boundaryPending)
    }

    /// Whether an unsaved episode start or end is waiting.
    public var hasPendingBoundary: Bool { boundaryPending }

    /// Returns once an unsaved episode start or end is pending, or when the calling task is
    /// cancelled. Only one caller (the state writer) may wait at a time.
    public func waitForBoundary() async {
        if boundaryPending { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || boundaryPending {
                    continuation.resume()
                } else {
                    boundaryWaiter?.resume()
                    boundaryWaiter = continuation
                }
            }
        } onCancel: {
            Task { await self.releaseBoundaryWaiter() }
        }
    }

    private func releaseBoundaryWaiter() {
        boundaryWaiter?.resume()
        boundaryWaiter = nil
    }

    /// Every entry, in no particular order, for a final write at shutdown.
    public var allEntries: [HostEntry] { Array(table.entries.values) }

    /// Loads entries read from the state file, before any datagram is processed.
    public func restore(_ entries: [HostEntry]) {
        for var entry in entries {
            entry.node = nodeNames[entry.address]
            table.restore(entry)
        }
        _ = table.update(settings: table.settings, at: clock().monotonic)
    }
}

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

/// One row of status output: an entry with its state and age at the time of the snapshot.
public struct HostStatus: Sendable, Equatable {
    public var entry: HostEntry
    public var state: HostState
    /// Age of the last message; nil when unknown (restored from an earlier boot).
    public var age: Duration?

    public init(entry: HostEntry, state: HostState, age: Duration?) {
        self.entry = entry
        self.state = state
        self.age = age
    }

    /// The row for `entry` at `now`.
    public init(entry: HostEntry, at now: MonotonicInstant, finishedAfter: Duration) {
        self.init(entry: entry, state: entry.state(at: now, finishedAfter: finishedAfter), age: entry.age(at: now))
    }
}

/// Datagrams checked together: the senders of valid messages, and invalid ones with why.
public struct DatagramBatch: Sendable {
    public var valid: [HostAddress] = []
    public var invalid: [(reason: InvalidDatagramReason, source: HostAddress)] = []

    public init() {}

    public var isEmpty: Bool { valid.isEmpty && invalid.isEmpty }
}
