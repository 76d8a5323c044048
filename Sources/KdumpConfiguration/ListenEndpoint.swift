import KdumpState
import KdumpWire
import Logging

/// An address and a TCP port to listen on, as `metrics_listen` gives them: `127.0.0.1:9810`,
/// `[::1]:9810`; port 0 picks a free one (tests; `health` tells which).
public struct ListenEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: HostAddress
    public var port: Int

    public init(address: HostAddress, port: Int) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:9810` or `[::1]:9810`.
    public var description: String { endpointText(address.description, port: port) }
}
