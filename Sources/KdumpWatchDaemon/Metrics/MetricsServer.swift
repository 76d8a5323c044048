import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` in the Prometheus text format at the `metrics_listen` endpoints
/// (kdump-watchd.conf(5); Documentation/design.md §8).
///
/// One request per connection: the answer carries `Connection: close` and the daemon closes
/// after it, so that a connection is only ever waiting for its request, and the control
/// socket's two limits apply as they are: `client_idle_timeout` to send a complete request, and
/// `max_clients` connections, the oldest closed to make room for a newcomer (a slowloris holding
/// every place cannot lock Prometheus out). Anything but `GET`/`HEAD /metrics` is answered 404
/// or 405; malformed HTTP is answered 400 by NIO's error handler and closed. Bodies are
/// discarded unread, and NIO's parser bounds the header, so a connection holds little memory.
struct MetricsServer: Service, CustomStringConvertible {
    let channels: [any Channel]
    var description: String { "MetricsServer(\(channels.compactMap(\.localAddress).map { "\($0)" }))" }

    /// Binds every endpoint, or none: a failure closes what was bound and throws, naming the
    /// endpoint.
    static func bind(
        _ endpoints: [ListenEndpoint], context: DaemonContext, group: any EventLoopGroup
    ) async throws -> MetricsServer {
        let connections = MetricsConnections()
        var channels: [any Channel] = []
        for endpoint in endpoints {
            do {
                let address = try SocketAddress(ipAddress: endpoint.address.description, port: endpoint.port)
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 256)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        accept(channel, context: context, connections: connections)
                    }
                    .bind(to: address).get()
                channels.append(channel)
            } catch {
                for channel in channels { try? await channel.close() }
                throw MetricsBindError(endpoint: endpoint, error: error)
            }
        }
        return MetricsServer(channels: channels)
    }

    /// Where the sockets listen, for `health` and the log.
    var listeners: [HealthReport.Listener] { channels.compactMap { HealthReport.Listener(boundBy: $0) } }

    func run() async throws {
        // Nothing to do until the daemon stops: the event loops serve the connections.
        try? await gracefulShutdown()
        for channel in channels { try? await channel.close() }
    }

    private static func accept(
        _ channel: any Channel, context: DaemonContext, connections: MetricsConnections
    ) -> EventLoopFuture<Void> {
        let configuration = context.runtime.configuration
        if let evicted = connections.admit(channel, limit: configuration.maxClients) {
            context.logger.debug(
                "metrics connection from \(evicted.remoteAddress.map { "\($0)" } ?? "?") closed to make room: max_clients (\(configuration.maxClients)) reached"
            )
            evicted.close(promise: nil)
        }
        let timeout = TimeAmount.nanoseconds(configuration.clientIdleTimeout.nanosecondsClamped)
        let idle = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in
            idle.cancel()
            connections.release(channel)
        }
        return channel.pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
            .flatMapThrowing {
                try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(metrics: context.metrics))
            }
    }
}
