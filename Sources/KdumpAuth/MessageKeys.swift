import Crypto
import KdumpWire
import Synchronization

/// The keys a daemon checks version 2 messages with (Documentation/protocol.md §5–6): one
/// cluster key, or two while a cluster rotates keys, each known by its key id (the first byte of
/// its SHA-256).
///
/// A message that names node N is signed with N's node key, derived from the cluster key and the
/// cluster's name (``KeyDerivation/nodeKey(clusterKey:clusterName:node:)``), so that a capture
/// image holds only its own node's key. Derived keys are cached, but only once a message has
/// verified under them: a flood of forged datagrams naming new nodes costs a derivation and an
/// HMAC each and never grows the cache, which holds at most `cacheCapacity` nodes.
///
/// Cryptography is swift-crypto's (`HKDF<SHA256>`, `HMAC<SHA256>`); the MAC comparison is its
/// constant-time one. Checks run cheapest first: a header parse and a key look-up before any
/// cryptography.
public struct MessageKeys: Sendable {
    private struct Entry: Sendable {
        var id: UInt8
        var key: AuthKey
    }

    private let entries: [Entry]
    /// The cluster's name, which every node key is bound to.
    public let clusterName: String
    private let cache: NodeKeyCache

    public init(_ keys: [AuthKey], clusterName: String = "", cacheCapacity: Int = 4096) {
        entries = keys.map { Entry(id: Self.keyID(of: $0), key: $0) }
        self.clusterName = clusterName
        cache = NodeKeyCache(capacity: cacheCapacity)
    }

    /// The key id of `key`: the first byte of its SHA-256.
    public static func keyID(of key: AuthKey) -> UInt8 {
        SHA256.hash(data: key.bytes).withUnsafeBytes { $0[0] }
    }

    /// The MAC of a message's signed bytes under `key`.
    public static func mac(of signedBytes: some Collection<UInt8>, key: AuthKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(signedBytes), using: SymmetricKey(data: key.bytes)))
    }

    /// The whole datagram of `message`, signed with `key` as it is (its key id is set from the key).
    public static func datagram(of message: SignedMessage, key: AuthKey) -> [UInt8] {
        var message = message
        message.keyID = keyID(of: key)
        return message.datagram(mac: mac(of: message.signedBytes, key: key))
    }

    /// The whole datagram of `message` as its node signs it: with the node key derived from
    /// `clusterKey` and `clusterName`, under the cluster key's id.
    public static func datagram(of message: SignedMessage, clusterKey: AuthKey, clusterName: String) -> [UInt8] {
        var message = message
        message.keyID = keyID(of: clusterKey)
        let nodeKey = KeyDerivation.nodeKey(clusterKey: clusterKey, clusterName: clusterName, node: message.nodeName)
        return message.datagram(mac: mac(of: message.signedBytes, key: nodeKey))
    }

    /// A version 2 message whose key id and MAC were checked.
    public struct Verified: Sendable, Equatable {
        public var header: SignedMessage.Header
        public var nodeName: String
    }

    /// Checks a datagram that ``SignedMessage/isVersion2(_:)`` accepted: its shape, its key id,
    /// then its MAC under the node key of every cluster key of that id (two keys share an id
    /// once in 256 rotations).
    public func verify(_ bytes: UnsafeRawBufferPointer) -> Result<Verified, InvalidDatagramReason> {
        let header: SignedMessage.Header
        switch SignedMessage.Header.parse(bytes) {
        case .success(let parsed): header = parsed
        case .failure(let reason): return .failure(reason)
        }
        var known = false
        let signed = UnsafeRawBufferPointer(rebasing: bytes[..<header.signedLength])
        let mac = UnsafeRawBufferPointer(rebasing: bytes[header.macRange])
        let node = header.nodeName(in: bytes)
        for (index, entry) in entries.enumerated() where entry.id == header.keyID {
            known = true
            let cached = cache.key(index: index, node: node)
            let nodeKey =
                cached
                ?? SymmetricKey(
                    data: KeyDerivation.nodeKey(clusterKey: entry.key, clusterName: clusterName, node: node).bytes)
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: nodeKey) {
                if cached == nil { cache.store(nodeKey, index: index, node: node) }
                return .success(Verified(header: header, nodeName: node))
            }
        }
        return .failure(known ? .badMAC : .unknownKey)
    }

    /// Node keys derived so far (tests and metrics).
    public var cachedNodeKeys: Int { cache.count }
}

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

/// Where keys come from (Documentation/protocol.md §6): random ones for `kdump-watchctl keygen`,
/// and the one every node of a Pacemaker cluster derives from the cluster's own authkey, so that
/// no key has to be copied.
public enum KeyDerivation {
    /// What HKDF's `info` says, so that the derived key is used for nothing else.
    public static let pacemakerInfo = Array("kdump-watch v2 message key".utf8)

    /// K = HKDF-SHA256(IKM = the whole authkey file, salt = empty, info = ``pacemakerInfo``, 32 bytes).
    public static func fromPacemakerKey(_ authkey: some Collection<UInt8>) -> AuthKey {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(authkey)), salt: [UInt8](), info: pacemakerInfo,
            outputByteCount: AuthKey.length)
        return AuthKey(bytes: derived.withUnsafeBytes { Array($0) })!
    }

    /// What HKDF's `info` starts with for a node key.
    public static let nodeInfo = Array("kdump-watch v2 node key".utf8)

    /// K_N = HKDF-SHA256(IKM = K, salt = empty, info = ``nodeInfo`` ‖ 0x00 ‖ C ‖ 0x00 ‖ N, 32
    /// bytes): the key that signs messages naming node N of the cluster named C. A capture image
    /// holds K_N only, so a leaked image speaks for its own node and no other, and two clusters
    /// that share K but not their name never confirm each other's nodes.
    public static func nodeKey(clusterKey: AuthKey, clusterName: String, node: String) -> AuthKey {
        let info = nodeInfo + [0] + Array(clusterName.utf8) + [0] + Array(node.utf8)
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: clusterKey.bytes), salt: [UInt8](), info: info,
            outputByteCount: AuthKey.length)
        return AuthKey(bytes: derived.withUnsafeBytes { Array($0) })!
    }

    /// A new random key, from the system's generator (`getrandom(2)`) through swift-crypto.
    public static func random() -> AuthKey {
        AuthKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })!
    }
}
