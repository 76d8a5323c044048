/// A protocol version 2 message (Documentation/protocol.md §4): a signed datagram that names
/// its node and carries its own freshness, so that it may come from any address, even be
/// broadcast, and still be believed only when it is genuine.
///
/// This type is the codec only. The MAC is computed and checked by whoever holds the key (the
/// daemon with swift-crypto, the sender with Nettle); the codec lays out the bytes that are
/// signed and says where the MAC sits. Every integer is in network byte order.
public struct SignedMessage: Sendable, Equatable {
    /// What the sender says its capture kernel is doing.
    public enum Phase: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case started = 1
        case dumping = 2
        case finished = 3
        case failed = 4

        /// The name used on the command line, in status output and in logs.
        public var description: String {
            switch self {
            case .started: "started"
            case .dumping: "dumping"
            case .finished: "finished"
            case .failed: "failed"
            }
        }

        public init?(name: String) {
            guard let phase = Self.allCases.first(where: { $0.description.hasSameUTF8(as: name) }) else { return nil }
            self = phase
        }

        /// Whether the phase ends the episode at once (the dump is over, one way or the other).
        public var endsEpisode: Bool { self == .finished || self == .failed }
    }

    /// The version word of a version 2 message.
    public static let version: UInt32 = 2
    /// Bytes before the node name: magic, version, phase, key id, flags, nonce, sequence,
    /// timestamp and the name's length.
    public static let headerLength = 33
    /// Bytes of the HMAC-SHA256 that ends the message.
    public static let macLength = 32
    /// The longest node name a message carries.
    public static let maxNameLength = 64

    public var phase: Phase
    /// The first byte of SHA-256 of the key that signs the message.
    public var keyID: UInt8
    /// Random, chosen once when the sender starts.
    public var nonce: UInt64
    /// 1 for the first message under ``nonce``, then one more per message.
    public var sequence: UInt32
    /// The sender's wall clock when it sent the message, in nanoseconds since 1970-01-01 UTC.
    public var timestamp: UInt64
    /// The node's name in the cluster: 1 to 64 bytes of `[A-Za-z0-9._-]`.
    public var nodeName: String

    public init(phase: Phase, keyID: UInt8, nonce: UInt64, sequence: UInt32, timestamp: UInt64, nodeName: String) {
        self.phase = phase
        self.keyID = keyID
        self.nonce = nonce
        self.sequence = sequence
        self.timestamp = timestamp
        self.nodeName = nodeName
    }

    /// Whether `name` can be carried in a message: 1 to 64 bytes of `[A-Za-z0-9._-]`.
    public static func isValidNodeName(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...maxNameLength).contains(bytes.count) && bytes.allSatisfy(isNameByte)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The bytes the MAC covers: everything before it (33 + L bytes).
    ///
    /// - Precondition: ``nodeName`` is valid (``isValidNodeName(_:)``).
    public var signedBytes: [UInt8] {
        precondition(Self.isValidNodeName(nodeName), "invalid node name '\(nodeName)'")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + nodeName.utf8.count + Self.macLength)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        append(KdumpDatagram.magic)
        append(Self.version)
        append(phase.rawValue)
        append(keyID)
        append(UInt16(0))
        append(nonce)
        append(sequence)
        append(timestamp)
        append(UInt8(nodeName.utf8.count))
        bytes.append(contentsOf: nodeName.utf8)
        return bytes
    }

    /// The whole datagram: ``signedBytes`` followed by `mac`.
    public func datagram(mac: some Collection<UInt8>) -> [UInt8] { Self.datagram(signedBytes: signedBytes, mac: mac) }

    /// The whole datagram from a message's ``signedBytes``, already built to compute `mac`:
    /// appended in the room ``signedBytes`` leaves for it, with no second copy.
    public static func datagram(signedBytes: [UInt8], mac: some Collection<UInt8>) -> [UInt8] {
        precondition(mac.count == macLength, "a MAC is \(macLength) bytes")
        var bytes = signedBytes
        bytes.append(contentsOf: mac)
        return bytes
    }

    /// Whether `bytes` starts like a version 2 message: the magic and version 2, both in
    /// network byte order. Such a datagram is judged by ``Header/parse(_:)``; any other by
    /// ``KdumpDatagram/classify(_:)``.
    @inlinable
    public static func isVersion2(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && bytes.loadBigEndian(UInt32.self, at: 0) == KdumpDatagram.magic
            && bytes.loadBigEndian(UInt32.self, at: 4) == version
    }

    /// The fields of a received version 2 datagram, read in place: parsing copies nothing and
    /// allocates nothing, so that a flood of forged datagrams costs only the checks.
    public struct Header: Sendable, Equatable {
        public var phase: Phase
        public var keyID: UInt8
        public var nonce: UInt64
        public var sequence: UInt32
        public var timestamp: UInt64
        /// Where the node name sits in the datagram.
        public var nameRange: Range<Int>

        /// The signed part is everything before the MAC.
        public var signedLength: Int { nameRange.upperBound }

        /// Reads a datagram that ``SignedMessage/isVersion2(_:)`` accepted; every shape it does
        /// not expect is ``InvalidDatagramReason/malformed``.
        public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<Header, InvalidDatagramReason> {
            guard isVersion2(bytes), bytes.count >= headerLength + 1 + macLength else { return .failure(.malformed) }
            let nameLength = Int(bytes[32])
            guard (1...maxNameLength).contains(nameLength), bytes.count == headerLength + nameLength + macLength,
                let phase = Phase(rawValue: bytes[8]), bytes.loadBigEndian(UInt16.self, at: 10) == 0
            else { return .failure(.malformed) }
            let nameRange = headerLength..<(headerLength + nameLength)
            for index in nameRange where !isNameByte(bytes[index]) { return .failure(.malformed) }
            return .success(
                Header(
                    phase: phase, keyID: bytes[9], nonce: bytes.loadBigEndian(UInt64.self, at: 12),
                    sequence: bytes.loadBigEndian(UInt32.self, at: 20),
                    timestamp: bytes.loadBigEndian(UInt64.self, at: 24), nameRange: nameRange))
        }

        /// The node name, once the MAC said the bytes are genuine.
        public func nodeName(in bytes: UnsafeRawBufferPointer) -> String {
            String(decoding: bytes[nameRange], as: UTF8.self)
        }

        /// Where the MAC sits in the datagram.
        public var macRange: Range<Int> { signedLength..<(signedLength + macLength) }
    }
}

#if !hasFeature(Embedded)
    // The state file carries it; Embedded Swift (the sender) has no Codable.
    extension SignedMessage.Phase: Codable {}
#endif
