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

    /// The key id of `key` as it is written down: two lowercase hexadecimal digits
    /// (`kdump-watchctl keygen --key-id`, `kdump-watch-send --key-id`, a capture image's
    /// KDUMP_WATCH_KEY_ID).
    public static func keyIDText(of key: AuthKey) -> String {
        let text = String(keyID(of: key), radix: 16)
        return text.count == 1 ? "0" + text : text
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
        // Before the node's name is even read: a flood under another key id stays this cheap.
        guard entries.contains(where: { $0.id == header.keyID }) else { return .failure(.unknownKey) }
        let signed = UnsafeRawBufferPointer(rebasing: bytes[..<header.signedLength])
        let mac = UnsafeRawBufferPointer(rebasing: bytes[header.macRange])
        let node = header.nodeName(in: bytes)
        for (index, entry) in entries.enumerated() where entry.id == header.keyID {
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
        return .failure(.badMAC)
    }

    /// Node keys derived so far (tests and metrics).
    public var cachedNodeKeys: Int { cache.count }
}
