#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

/// An IPv4 or IPv6 host address in normal form: the identity of a `fence_kdump` sender.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`), which a dual-stack socket reports for IPv4
/// senders, are normalised to plain IPv4 on construction, so an address compares equal however
/// it reached us. The textual form is the usual one (`127.0.0.1`, `::1`).
public struct HostAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Address bytes in network order: 4 for IPv4, 16 for IPv6.
    @usableFromInline let high: UInt64
    @usableFromInline let low: UInt64
    /// True for IPv4, whose 32 bits sit in the low word.
    public let isIPv4: Bool

    /// An IPv4 address from its four bytes in network order.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        high = 0
        low = UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
        isIPv4 = true
    }

    /// An address from raw network-order bytes (4 or 16 of them); IPv4-mapped IPv6 becomes IPv4.
    public init?<Bytes: Collection>(networkBytes bytes: Bytes) where Bytes.Element == UInt8 {
        var words: (UInt64, UInt64) = (0, 0)
        switch bytes.count {
        case 4:
            for byte in bytes { words.1 = words.1 << 8 | UInt64(byte) }
            self.init(high: 0, low: words.1, isIPv4: true)
        case 16:
            for (index, byte) in bytes.enumerated() {
                if index < 8 {
                    words.0 = words.0 << 8 | UInt64(byte)
                } else {
                    words.1 = words.1 << 8 | UInt64(byte)
                }
            }
            if words.0 == 0 && words.1 >> 32 == 0xFFFF {
                self.init(high: 0, low: words.1 & 0xFFFF_FFFF, isIPv4: true)
            } else {
                self.init(high: words.0, low: words.1, isIPv4: false)
            }
        default:
            return nil
        }
    }

    private init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    /// Parses a numeric address (`192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`); names and
    /// anything else give nil. A zone suffix (`fe80::1%eth0`) is not accepted.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = withUnsafeBytes(of: &v4) { HostAddress(networkBytes: $0)! }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = withUnsafeBytes(of: &v6) { HostAddress(networkBytes: $0)! }
            return
        }
        return nil
    }

    /// The address of a `sockaddr_in` or `sockaddr_in6`; nil for any other family.
    public init?(socketAddress pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let raw = UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr_in.self)
            var address = raw.pointee.sin_addr
            self = withUnsafeBytes(of: &address) { HostAddress(networkBytes: $0)! }
        case AF_INET6:
            let raw = UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr_in6.self)
            var address = raw.pointee.sin6_addr
            self = withUnsafeBytes(of: &address) { HostAddress(networkBytes: $0)! }
        default:
            return nil
        }
    }

    /// The address bytes in network order (4 or 16).
    public var networkBytes: [UInt8] { withNetworkBytes { Array($0) } }

    /// Calls `body` with the address bytes in network order (4 or 16), kept on the stack.
    func withNetworkBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result)
        throws(Failure)
        -> Result
    {
        var storage = in6_addr()
        return try withUnsafeMutableBytes(of: &storage) { (bytes) throws(Failure) -> Result in
            if isIPv4 {
                for index in 0..<4 { bytes[index] = UInt8(truncatingIfNeeded: low >> UInt64(24 - 8 * index)) }
                return try body(UnsafeRawBufferPointer(rebasing: bytes[..<4]))
            }
            for index in 0..<8 {
                bytes[index] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * index))
                bytes[8 + index] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * index))
            }
            return try body(UnsafeRawBufferPointer(bytes))
        }
    }

    /// Number of bits in the address: 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// Whether this is an IPv6 link-local address (`fe80::/10`).
    public var isIPv6LinkLocal: Bool { !isIPv4 && high >> 54 == 0x3FA }

    /// The usual textual form. Formatted on the stack: every answer and every state-file row
    /// shows an address, and the array-based version cost five allocations each time.
    public var description: String {
        if isIPv4 {
            // Four decimal octets: at most 15 bytes, which Swift keeps inside the String.
            return String(unsafeUninitializedCapacity: 15) { buffer in
                var index = 0
                for shift in stride(from: 24, through: 0, by: -8) {
                    if shift != 24 {
                        buffer[index] = UInt8(ascii: ".")
                        index += 1
                    }
                    let octet = Int(truncatingIfNeeded: low >> UInt64(shift)) & 0xFF
                    if octet >= 100 {
                        buffer[index] = UInt8(ascii: "0") + UInt8(octet / 100)
                        index += 1
                    }
                    if octet >= 10 {
                        buffer[index] = UInt8(ascii: "0") + UInt8(octet / 10 % 10)
                        index += 1
                    }
                    buffer[index] = UInt8(ascii: "0") + UInt8(octet % 10)
                    index += 1
                }
                return index
            }
        }
        // inet_ntop gives RFC 5952's form (zero runs compressed, embedded IPv4 where it applies).
        return withNetworkBytes { address in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buffer in
                let text = inet_ntop(AF_INET6, address.baseAddress, buffer.baseAddress, socklen_t(buffer.count))
                precondition(text != nil, "inet_ntop failed on a well-formed address")
                return String(cString: buffer.baseAddress!)
            }
        }
    }

    /// IPv4 sorts before IPv6; within a family, numerically.
    public static func < (lhs: HostAddress, rhs: HostAddress) -> Bool {
        if lhs.isIPv4 != rhs.isIPv4 { return lhs.isIPv4 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Whether the first `prefixLength` bits equal those of `other` (same family only).
    public func sharesPrefix(_ prefixLength: Int, with other: HostAddress) -> Bool {
        guard isIPv4 == other.isIPv4 else { return false }
        let width = bitWidth
        let bits = max(0, min(prefixLength, width))
        if isIPv4 {
            let mask: UInt64 = bits == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - bits)) & 0xFFFF_FFFF
            return low & mask == other.low & mask
        }
        let highMask: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << UInt64(64 - bits))
        let lowBits = max(0, bits - 64)
        let lowMask: UInt64 = lowBits == 0 ? 0 : (lowBits >= 64 ? ~0 : ~0 << UInt64(64 - lowBits))
        return high & highMask == other.high & highMask && low & lowMask == other.low & lowMask
    }
}
