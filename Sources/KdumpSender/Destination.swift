#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

/// Where one datagram goes: an address, and for IPv6 link-local or multicast addresses the
/// interface (scope id) it leaves by.
public struct Destination: Equatable, CustomStringConvertible {
    public var address: HostAddress
    public var scopeID: UInt32 = 0
    public var interface: String?

    public var description: String {
        guard let interface else { return address.description }
        return address.description + (address.isIPv4 ? " on " : "%") + interface
    }

    /// `--broadcast`: 255.255.255.255, the broadcast address of every IPv4 interface that is up
    /// (255.255.255.255 needs a route, which a capture kernel without a default gateway lacks;
    /// a subnet's own broadcast address does not), and ff02::1 (all nodes) on every interface
    /// that is up and can multicast. Loopback is left out.
    static func broadcasts(family: AddressFamily) -> [Destination] {
        var result: [Destination] = []
        if family != .ipv6 { result.append(Destination(address: HostAddress(ipv4: 255, 255, 255, 255))) }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return result }
        defer { freeifaddrs(list) }
        var allNodesOn: [UInt32] = []  // interface indexes: no string hashing (see Sender.run)
        let allNodes = HostAddress("ff02::1")!
        var cursor = list
        while let interface = cursor {
            cursor = interface.pointee.ifa_next
            let flags = Int32(bitPattern: interface.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0, let name = interface.pointee.ifa_name
            else { continue }
            let text = String(cString: name)
            let addressFamily = interface.pointee.ifa_addr?.pointee.sa_family
            // The subnet's broadcast address from the address and its netmask: `ifa_broadaddr` is
            // only as good as the `brd` the interface was configured with, often none.
            if addressFamily == sa_family_t(AF_INET), family != .ipv6, flags & Int32(IFF_BROADCAST) != 0,
                let local = interface.pointee.ifa_addr.flatMap({ HostAddress(socketAddress: $0) }),
                let mask = interface.pointee.ifa_netmask.flatMap({ HostAddress(socketAddress: $0) })
            {
                let bytes = zip(local.networkBytes, mask.networkBytes).map { $0 | ~$1 }
                if let broadcast = HostAddress(networkBytes: bytes), broadcast != local {
                    result.append(Destination(address: broadcast, interface: text))
                }
            }
            if addressFamily == sa_family_t(AF_INET6), family != .ipv4, flags & Int32(IFF_MULTICAST) != 0 {
                let index = if_nametoindex(name)
                if index != 0, !allNodesOn.contains(index) {
                    allNodesOn.append(index)
                    result.append(Destination(address: allNodes, scopeID: index, interface: text))
                }
            }
        }
        return result
    }
}
