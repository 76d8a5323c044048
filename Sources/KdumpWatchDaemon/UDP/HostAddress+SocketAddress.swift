import KdumpWire
import NIOCore

extension HostAddress {
    /// The normalised address of a NIO socket address; nil for Unix sockets.
    init?(_ socketAddress: SocketAddress) {
        guard let address = socketAddress.withSockAddr({ pointer, _ in HostAddress(socketAddress: pointer) })
        else { return nil }
        self = address
    }
}
