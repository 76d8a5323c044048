import Crypto
import KdumpWire
import Synchronization

/// The node keys of messages that verified, per cluster key and node: bounded, behind a lock
/// (every UDP socket of the daemon verifies with the same keys).
final class NodeKeyCache: Sendable {
    private struct Key: Hashable {
        var index: Int
        var node: String
    }

    private let capacity: Int
    private let keys = Mutex<[Key: SymmetricKey]>([:])

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func key(index: Int, node: String) -> SymmetricKey? {
        keys.withLock { $0[Key(index: index, node: node)] }
    }

    func store(_ key: SymmetricKey, index: Int, node: String) {
        keys.withLock { keys in
            // Only verified nodes get here, so this fills only in a cluster larger than
            // max_hosts; starting over then costs one derivation per node.
            if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
            keys[Key(index: index, node: node)] = key
        }
    }

    var count: Int { keys.withLock { $0.count } }
}
