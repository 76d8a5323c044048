#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

/// One unconnected UDP socket per address family, created on first use; the IPv4 one may
/// broadcast.
struct SocketPair {
    private var ipv4: Int32 = -1
    private var ipv6: Int32 = -1
    private var ipv4Broadcasts = false

    /// Sends `bytes`; the error text on failure.
    mutating func send(_ bytes: [UInt8], to destination: Destination, port: Int) -> String? {
        let address = destination.address
        if address.isIPv4 {
            if ipv4 < 0 { ipv4 = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            guard ipv4 >= 0 else { return String(cString: strerror(errno)) }
        } else {
            if ipv6 < 0 { ipv6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            guard ipv6 >= 0 else { return String(cString: strerror(errno)) }
        }
        let descriptor = address.isIPv4 ? ipv4 : ipv6
        func sendOnce() -> Int {
            address.withSocketAddress(port: port, scopeID: destination.scopeID) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, $1)
            }
        }
        var sent = sendOnce()
        // Linux refuses a broadcast address (255.255.255.255, or a subnet's, given by
        // --broadcast or as a node) with EACCES until the socket may broadcast. Allowed on that
        // first refusal rather than up front: a sender with no broadcast destination then starts
        // with one system call fewer before its first datagram.
        if sent < 0 && errno == EACCES && address.isIPv4 && !ipv4Broadcasts {
            ipv4Broadcasts = true
            var on: Int32 = 1
            if setsockopt(ipv4, SOL_SOCKET, SO_BROADCAST, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 {
                sent = sendOnce()
            }
        }
        return sent == bytes.count ? nil : String(cString: strerror(errno))
    }

    mutating func close() {
        if ipv4 >= 0 { _ = closeDescriptor(ipv4) }
        if ipv6 >= 0 { _ = closeDescriptor(ipv6) }
        ipv4 = -1
        ipv6 = -1
        ipv4Broadcasts = false
    }
}

/// close(2), under a name that `SocketPair.close()` does not hide (the embedded build has no
/// `Glibc.` to qualify it with).
private func closeDescriptor(_ descriptor: Int32) -> Int32 { close(descriptor) }
