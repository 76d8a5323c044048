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

/// A `metrics_listen` endpoint that could not be bound.
struct MetricsBindError: Error, CustomStringConvertible {
    let endpoint: ListenEndpoint
    let error: any Error

    var description: String {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            return "cannot bind metrics_listen \(endpoint): address already in use"
        }
        return "cannot bind metrics_listen \(endpoint): \(error)"
    }
}

/// The open metrics connections, oldest first, for `max_clients`.
///
/// Every open connection is waiting for its request (the answer closes it), so the oldest is
/// the one that has taken longest: at a full endpoint it makes room for the newcomer.
final class MetricsConnections: Sendable {
    private let open = Mutex<[(id: ObjectIdentifier, channel: any Channel)]>([])

    /// Registers `channel`; returns the connection to close when `limit` were open already.
    func admit(_ channel: any Channel, limit: Int) -> (any Channel)? {
        open.withLock { open in
            var evicted: (any Channel)?
            if open.count >= limit { evicted = open.removeFirst().channel }
            open.append((ObjectIdentifier(channel), channel))
            return evicted
        }
    }

    func release(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { open in open.removeAll { $0.id == id } }
    }
}

/// Answers the one request of a metrics connection, then closes it.
final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The Prometheus text format, version 0.0.4, which `registry.emitToString()` writes.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let metrics: DaemonMetrics
    private var request: HTTPRequestHead?
    private var answered = false

    init(metrics: DaemonMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if request == nil { request = head }
        case .body:
            break  // discarded: no request this endpoint serves has a body
        case .end:
            guard let request, !answered else { return }
            answered = true
            respond(to: request, context: context)
        }
    }

    /// NIO's error handler has answered 400 to malformed HTTP and passes the error on: the
    /// connection ends here.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answered = true
        context.close(promise: nil)
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders([("Connection", "close")])
        let status: HTTPResponseStatus
        var body: String
        if path != "/metrics" {
            status = .notFound
            body = "not found: kdump-watchd serves /metrics only\n"
        } else if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
            body = "method not allowed: use GET\n"
        } else {
            status = .ok
            body = metrics.render()
        }
        headers.add(name: "Content-Type", value: status == .ok ? Self.contentType : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        if request.method == .HEAD { body = "" }
        let version = request.version.major == 1 ? request.version : .http1_1
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
