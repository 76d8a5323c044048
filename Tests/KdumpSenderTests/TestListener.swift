import Glibc
import KdumpSender
import KdumpWire

/// A UDP socket bound on loopback that collects what arrives.
final class TestListener {
    let descriptor: Int32
    let port: Int

    init(v6: Bool = false) throws {
        let descriptor = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        let loopback = HostAddress(v6 ? "::1" : "127.0.0.1")!
        guard loopback.withSocketAddress(port: 0, { bind(descriptor, $0, $1) }) == 0,
            let port = HostAddress.localPort(ofSocket: descriptor)
        else { throw SenderUsageError("bind failed") }
        self.port = port
    }

    deinit { close(descriptor) }

    /// Every datagram that is waiting now.
    func drain() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 { return datagrams }
            datagrams.append(Array(buffer[..<count]))
        }
    }
}
