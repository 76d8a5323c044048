import KdumpControl
import KdumpWire
import NIOCore

extension HealthReport.Listener {
    /// Where `channel`'s socket is bound, as `health` reports it; nil when it is not bound to
    /// an IP address.
    init?(boundBy channel: any Channel) {
        guard let local = channel.localAddress, let port = local.port else { return nil }
        self.init(address: HostAddress(local)?.description ?? "?", port: port)
    }
}
