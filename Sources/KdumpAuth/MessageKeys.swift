import Crypto
import KdumpWire

/// The keys a daemon checks version 2 messages with (Documentation/protocol.md §5–6): one, or two
/// while a cluster rotates keys, each known by its key id (the first byte of its SHA-256).
///
/// Cryptography is swift-crypto's (`HMAC<SHA256>`); the MAC comparison is its constant-time one.
/// Checks run cheapest first, so that a flood of forged datagrams costs a header parse, a key
/// look-up and one HMAC each at most.
public struct MessageKeys: Sendable {
    private struct Entry: Sendable {
        var id: UInt8
        var key: SymmetricKey
    }

    private let entries: [Entry]

    public init(_ keys: [AuthKey]) {
        entries = keys.map { Entry(id: Self.keyID(of: $0), key: SymmetricKey(data: $0.bytes)) }
    }

    /// The key id of `key`: the first byte of its SHA-256.
    public static func keyID(of key: AuthKey) -> UInt8 {
        SHA256.hash(data: key.bytes).withUnsafeBytes { $0[0] }
    }

    /// The MAC of a message's signed bytes under `key`.
    public static func mac(of signedBytes: some Collection<UInt8>, key: AuthKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(signedBytes), using: SymmetricKey(data: key.bytes)))
    }

    /// The whole datagram of `message`, signed with `key` (its key id is set from the key).
    public static func datagram(of message: SignedMessage, key: AuthKey) -> [UInt8] {
        var message = message
        message.keyID = keyID(of: key)
        return message.datagram(mac: mac(of: message.signedBytes, key: key))
    }

    /// A version 2 message whose key id and MAC were checked.
    public struct Verified: Sendable, Equatable {
        public var header: SignedMessage.Header
        public var nodeName: String
    }

    /// Checks a datagram that ``SignedMessage/isVersion2(_:)`` accepted: its shape, its key id,
    /// then its MAC under every key of that id (two keys share an id once in 256 rotations).
    public func verify(_ bytes: UnsafeRawBufferPointer) -> Result<Verified, InvalidDatagramReason> {
        let header: SignedMessage.Header
        switch SignedMessage.Header.parse(bytes) {
        case .success(let parsed): header = parsed
        case .failure(let reason): return .failure(reason)
        }
        var known = false
        let signed = UnsafeRawBufferPointer(rebasing: bytes[..<header.signedLength])
        let mac = UnsafeRawBufferPointer(rebasing: bytes[header.macRange])
        for entry in entries where entry.id == header.keyID {
            known = true
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: entry.key) {
                return .success(Verified(header: header, nodeName: header.nodeName(in: bytes)))
            }
        }
        return .failure(known ? .badMAC : .unknownKey)
    }
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

    /// A new random key, from the system's generator (`getrandom(2)`) through swift-crypto.
    public static func random() -> AuthKey {
        AuthKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })!
    }
}
