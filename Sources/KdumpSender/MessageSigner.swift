import CNettle

#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

/// Signs the sender's protocol version 2 messages (Documentation/protocol.md §4) with Nettle's
/// HMAC-SHA256.
///
/// Nettle rather than swift-crypto: the sender lives in the capture kernel's initramfs, where
/// swift-crypto's vendored BoringSSL would add 11 MB and Nettle adds a 0.3 MB shared library.
/// One nonce per run, chosen by the caller (kdump-watch-send's never waits for the random
/// pool); every datagram is a message of its own, with the next sequence number, so that a
/// receiver that hears one twice (by broadcast and by address) counts no replay.
public struct MessageSigner {
    public let key: AuthKey
    public let keyID: UInt8
    public let nodeName: String
    public let nonce: UInt64
    public private(set) var sequence: UInt32 = 0
    private let now: () -> UInt64

    /// - Parameters:
    ///   - keyID: the key id to send: the cluster key's, when `key` is a node key derived from it
    ///     (Documentation/protocol.md §6); nil means `key`'s own, right when it is the cluster key.
    ///   - now: the wall clock in nanoseconds since 1970 (`CLOCK_REALTIME`) unless a test says otherwise.
    public init(
        key: AuthKey, keyID: UInt8? = nil, nodeName: String, nonce: UInt64,
        now: @escaping () -> UInt64 = MessageSigner.realTime
    ) {
        self.key = key
        self.keyID = keyID ?? Self.keyID(of: key)
        self.nodeName = nodeName
        self.nonce = nonce
        self.now = now
    }

    /// The next message in `phase`, signed: the whole datagram.
    public mutating func next(phase: SignedMessage.Phase) -> [UInt8] {
        sequence &+= 1
        let message = SignedMessage(
            phase: phase, keyID: keyID, nonce: nonce, sequence: sequence, timestamp: now(), nodeName: nodeName)
        let signed = message.signedBytes
        return SignedMessage.datagram(signedBytes: signed, mac: Self.mac(of: signed, key: key))
    }

    /// HMAC-SHA256 of `bytes` under `key`.
    public static func mac(of bytes: [UInt8], key: AuthKey) -> [UInt8] {
        var context = hmac_sha256_ctx()
        key.bytes.withUnsafeBufferPointer { nettle_hmac_sha256_set_key(&context, $0.count, $0.baseAddress) }
        bytes.withUnsafeBufferPointer { nettle_hmac_sha256_update(&context, $0.count, $0.baseAddress) }
        var mac = [UInt8](repeating: 0, count: SignedMessage.macLength)
        mac.withUnsafeMutableBufferPointer { nettle_hmac_sha256_digest(&context, $0.count, $0.baseAddress) }
        return mac
    }

    /// The first byte of SHA-256 of the key.
    public static func keyID(of key: AuthKey) -> UInt8 {
        var context = sha256_ctx()
        nettle_sha256_init(&context)
        key.bytes.withUnsafeBufferPointer { nettle_sha256_update(&context, $0.count, $0.baseAddress) }
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { nettle_sha256_digest(&context, $0.count, $0.baseAddress) }
        return digest[0]
    }

    public static func realTime() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(max(0, now.tv_sec)) * 1_000_000_000 + UInt64(max(0, now.tv_nsec))
    }
}
