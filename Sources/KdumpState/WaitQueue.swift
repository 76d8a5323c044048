import HeapModule
import KdumpDecision
import KdumpWire

/// The fence requests waiting for a message (Documentation/design.md §3): each one's request,
/// when it was made, its deadline, and whatever its owner needs to answer it (`Waiter`).
///
/// A value type with no clock and no tasks, like ``StateTable``: every operation is told the
/// time, which keeps timeouts exact to test. Waits are indexed by table key, so that a message
/// touches only its own waits (a thousand concurrent fences cost a thousand lookups, not a
/// million comparisons), and their deadlines sit in one heap, so that the owner needs one timer
/// for the earliest instead of one per wait.
public struct WaitQueue<Waiter> {
    /// Identifies one wait for as long as it is queued.
    public typealias ID = UInt64

    /// One queued wait.
    public struct Wait {
        public let id: ID
        public let request: WaitRequest
        public let requestedAt: MonotonicInstant
        /// The wall clock at the request, which a signed message's own timestamp is held to.
        public let requestedAtWall: WallClockTime
        public let deadline: MonotonicInstant
        public var waiter: Waiter
    }

    private struct Deadline: Comparable {
        var instant: MonotonicInstant
        var id: ID

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.instant, lhs.id) < (rhs.instant, rhs.id) }
    }

    private var waits: [ID: Wait] = [:]
    private var idsByKey: [HostKey: Set<ID>] = [:]
    /// Every wait's deadline, earliest first. A wait that ends early leaves its deadline behind;
    /// it is skipped when it reaches the top, and the heap is rebuilt before such leftovers pile up.
    private var deadlines = Heap<Deadline>()
    private var lastID: ID = 0

    public init() {}

    /// Waits queued.
    public var count: Int { waits.count }
    public var isEmpty: Bool { waits.isEmpty }

    /// A new identifier, for an owner that must know it before the wait is queued (to install a
    /// cancellation handler).
    public mutating func makeID() -> ID {
        lastID += 1
        return lastID
    }

    /// Queues a wait made at `requestedAt`; its deadline is `request.timeout` later.
    public mutating func add(_ request: WaitRequest, id: ID, requestedAt: Timestamp, waiter: Waiter) {
        precondition(waits[id] == nil, "wait \(id) is queued already")
        let deadline = requestedAt.monotonic.advanced(by: request.timeout)
        waits[id] = Wait(
            id: id, request: request, requestedAt: requestedAt.monotonic, requestedAtWall: requestedAt.wall,
            deadline: deadline, waiter: waiter)
        for key in request.keys { idsByKey[key, default: []].insert(id) }
        deadlines.insert(Deadline(instant: deadline, id: id))
    }

    /// Removes one wait; nil when it is not queued (it ended already).
    @discardableResult
    public mutating func remove(_ id: ID) -> Wait? {
        guard let wait = waits.removeValue(forKey: id) else { return nil }
        for key in wait.request.keys {
            idsByKey[key]?.remove(id)
            if idsByKey[key]?.isEmpty == true { idsByKey[key] = nil }
        }
        if waits.isEmpty {
            deadlines = Heap()
        } else if deadlines.count > 2 * waits.count + 64 {
            deadlines = Heap(deadlines.unordered.filter { waits[$0.id] != nil })
        }
        return wait
    }

    /// Removes and returns, oldest first, the waits that a valid message recorded under `key`
    /// and received at `arrival` confirms (``FenceDecision``); `sentAt` is a signed message's
    /// own timestamp, nil for version 1.
    public mutating func removeConfirmed(
        byMessageUnder key: HostKey, receivedAt arrival: MonotonicInstant, sentAt: WallClockTime? = nil
    ) -> [Wait] {
        guard let interested = idsByKey[key] else { return [] }
        var confirmed: [Wait] = []
        for id in interested.sorted() {
            guard let wait = waits[id],
                FenceDecision.confirms(
                    lastMessage: arrival, requestedAt: wait.requestedAt, maxAge: wait.request.maxAge),
                sentAt.map({
                    FenceDecision.confirms(
                        sentAt: $0, requestedAt: wait.requestedAtWall, maxAge: wait.request.maxAge,
                        clockMargin: wait.request.clockMargin)
                }) ?? true
            else { continue }
            confirmed.append(remove(id)!)
        }
        return confirmed
    }

    /// Removes and returns, earliest deadline first, every wait whose deadline is at or before `now`.
    public mutating func removeExpired(at now: MonotonicInstant) -> [Wait] {
        var expired: [Wait] = []
        while let earliest = deadlines.min, earliest.instant <= now {
            deadlines.removeMin()
            if let wait = remove(earliest.id) { expired.append(wait) }
        }
        return expired
    }

    /// The earliest deadline of a wait still queued.
    public mutating func nextDeadline() -> MonotonicInstant? {
        while let earliest = deadlines.min, waits[earliest.id] == nil { deadlines.removeMin() }
        return deadlines.min?.instant
    }

    /// Removes and returns every wait (shutdown).
    public mutating func removeAll() -> [Wait] {
        let all = waits.values.sorted { $0.id < $1.id }
        waits = [:]
        idsByKey = [:]
        deadlines = Heap()
        return all
    }
}

extension WaitQueue: Sendable where Waiter: Sendable {}
extension WaitQueue.Wait: Sendable where Waiter: Sendable {}
