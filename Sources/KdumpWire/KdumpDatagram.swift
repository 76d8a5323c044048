/// The version 1 `fence_kdump` datagram: a 32-bit magic followed by a 32-bit version, 8 bytes.
///
/// Upstream `fence_kdump_send` writes both words in the sender's native byte order, so an x86
/// or arm capture kernel puts `40 2a 30 1b 01 00 00 00` on the wire and an s390x or ppc64 one
/// `1b 30 2a 40 00 00 00 01`. ``KdumpDatagram`` accepts either order as long as both words
/// use the same one; everything else is classified by ``InvalidDatagramReason``.
public enum KdumpDatagram {
    /// The magic number of a `fence_kdump` message.
    public static let magic: UInt32 = 0x1B30_2A40
    /// The only message version this codec knows.
    public static let version: UInt32 = 1
    /// The exact length of a version 1 message.
    public static let length = 8
    /// The UDP port `fence_kdump` and `fence_kdump_send` use unless told otherwise.
    public static let defaultPort = 7410

    /// The bytes every sender of this project puts on the wire: little-endian, as upstream on
    /// x86 and arm.
    public static let littleEndianV1: [UInt8] = [0x40, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]

    /// Classifies a received datagram.
    ///
    /// - Parameter bytes: the payload exactly as received; its length matters.
    /// - Returns: the byte order of a valid message, or why it is not one.
    @inlinable
    public static func classify<Bytes: Collection>(_ bytes: Bytes) -> Verdict
    where Bytes.Element == UInt8 {
        let count = bytes.count
        if count < length { return .invalid(.short) }
        if count > length { return .invalid(.long) }
        var words = (little: (UInt32(0), UInt32(0)), big: (UInt32(0), UInt32(0)))
        for (offset, byte) in bytes.enumerated() {
            let value = UInt32(byte)
            if offset < 4 {
                words.little.0 |= value << (8 * UInt32(offset))
                words.big.0 = words.big.0 << 8 | value
            } else {
                words.little.1 |= value << (8 * UInt32(offset - 4))
                words.big.1 = words.big.1 << 8 | value
            }
        }
        if words.little.0 == magic {
            return words.little.1 == version ? .valid(.littleEndian) : .invalid(.badVersion)
        }
        if words.big.0 == magic {
            return words.big.1 == version ? .valid(.bigEndian) : .invalid(.badVersion)
        }
        return .invalid(.badMagic)
    }

    /// The result of ``classify(_:)``.
    public enum Verdict: Equatable, Sendable {
        case valid(ByteOrder)
        case invalid(InvalidDatagramReason)
    }

    /// The byte order a valid message was written in.
    public enum ByteOrder: String, Sendable {
        case littleEndian = "little-endian"
        case bigEndian = "big-endian"
    }
}
