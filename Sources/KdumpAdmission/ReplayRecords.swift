import KdumpState
import Synchronization

/// The replay records (``ReplayGuard``) that every UDP socket of one process shares, behind a
/// lock: the daemon's sockets share them and its state writer saves them; the fence agent's
/// fallback listener keeps its own for the one wait it serves.
public final class ReplayRecords: Sendable {
    private let records: Mutex<ReplayGuard>

    public init(capacity: Int, restoring saved: [String: ReplayGuard.Record] = [:]) {
        records = Mutex(ReplayGuard(capacity: capacity, records: saved))
    }

    public func admit(_ record: ReplayGuard.Record, from node: String) -> Bool {
        records.withLock { $0.admit(record, from: node) }
    }

    /// Follows `max_hosts`.
    public func setCapacity(_ capacity: Int) {
        records.withLock { $0.capacity = max(1, capacity) }
    }

    public var snapshot: [String: ReplayGuard.Record] { records.withLock { $0.records } }
}
