#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

extension HostAddress {
    /// Calls `body` with this address and `port` as a `sockaddr_in` or `sockaddr_in6` (with
    /// `scopeID`, the interface of a link-local or multicast IPv6 address) and its length: the
    /// one place the project builds a socket address by hand, for `bind(2)`, `connect(2)` and
    /// `sendto(2)`.
    public func withSocketAddress<Result, Failure: Error>(
        port: Int, scopeID: UInt32 = 0, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withNetworkBytes { (network) throws(Failure) -> Result in
            if isIPv4 {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
                withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: network) }
                return try withUnsafePointer(to: &address) { (pointer) throws(Failure) -> Result in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        (pointer) throws(Failure) -> Result in
                        try body(pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            address.sin6_scope_id = scopeID
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: network) }
            return try withUnsafePointer(to: &address) { (pointer) throws(Failure) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (pointer) throws(Failure) -> Result in
                    try body(pointer, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The unspecified address of the family, to bind every interface: `::` or `0.0.0.0`.
    public static func unspecified(ipv6: Bool) -> HostAddress {
        ipv6 ? HostAddress(networkBytes: [UInt8](repeating: 0, count: 16))! : HostAddress(ipv4: 0, 0, 0, 0)
    }

    /// The port the socket `descriptor` is bound to (`getsockname(2)`); nil when it is not an
    /// IPv4 or IPv6 socket.
    public static func localPort(ofSocket descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int? in
                guard getsockname(descriptor, address, &length) == 0 else { return nil }
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin_port))
                    }
                case AF_INET6:
                    return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin6_port))
                    }
                default: return nil
                }
            }
        }
    }
}
