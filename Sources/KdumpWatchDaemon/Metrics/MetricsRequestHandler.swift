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
