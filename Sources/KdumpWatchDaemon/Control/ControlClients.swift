import Synchronization

/// The control connections being served, for `max_clients` (Documentation/design.md §6).
///
/// When a new client arrives at a full daemon, the connection that has waited longest without
/// sending a complete request is closed to make room: a leaking monitoring script or a root
/// process holding silent connections must never lock the fence agent out. A connection that
/// is being answered (a wait, a watch, any request in progress) is never chosen; only when every
/// connection is busy is the newcomer refused.
final class ControlClients: Sendable {
    typealias ID = UInt64

    /// A client closed to make room, and how long it had been silent.
    struct Eviction {
        let client: IdleLimit
        let idleSeconds: Double
    }

    private struct State {
        var clients: [ID: IdleLimit] = [:]
        var lastID: ID = 0
    }

    private let state = Mutex(State())

    /// Clients admitted and not yet released.
    var count: Int { state.withLock { $0.clients.count } }

    /// Admits `client` when fewer than `limit` are connected, or in the place of the one idle
    /// longest; nil when all `limit` are busy. The evicted client is claimed (it will not start
    /// another request) but not yet closed: the caller closes it, outside this lock.
    func admit(_ client: IdleLimit, limit: Int) -> (ID, evicted: Eviction?)? {
        state.withLock { state in
            var evicted: Eviction?
            if state.clients.count >= limit {
                // Oldest first; a candidate that began a request meanwhile refuses the claim.
                let idle = state.clients.compactMap { id, client in client.idleSince.map { (id, client, $0) } }
                for (id, candidate, _) in idle.sorted(by: { $0.2 < $1.2 }) {
                    guard let seconds = candidate.claimForEviction() else { continue }
                    state.clients[id] = nil
                    evicted = Eviction(client: candidate, idleSeconds: seconds)
                    break
                }
                guard evicted != nil else { return nil }
            }
            state.lastID += 1
            state.clients[state.lastID] = client
            return (state.lastID, evicted)
        }
    }

    /// Releases a client's place; false when it had been given up already (evicted).
    func release(_ id: ID) -> Bool {
        state.withLock { $0.clients.removeValue(forKey: id) != nil }
    }
}
