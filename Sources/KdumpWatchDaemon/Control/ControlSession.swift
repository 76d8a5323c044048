import Glibc
import KdumpAdmission
import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpJSON
import KdumpState
import KdumpWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus

/// One client of the control socket: reads request lines, answers each in turn.
///
/// Limits keep one client from hurting another: a request line longer than
/// ``maximumRequestLength`` closes the connection, a client that does not complete a request
/// within `client_idle_timeout` is disconnected, a `watch` client that stops reading is
/// disconnected rather than buffered for, and a client that goes away mid-wait has its wait
/// cancelled at once, and a client that pipelines requests without reading the answers is not
/// read from while its answers wait.
struct ControlSession {
    static let maximumRequestLength = 65_536

    let connection: ControlConnection
    let context: DaemonContext
    let access: ControlAccess
    /// Fired when the client closes its side: ends a wait at once, without the cost of a task
    /// racing every wait against the connection.
    private let clientGone = WaitCancellation()

    init(connection: ControlConnection, context: DaemonContext, access: ControlAccess) {
        self.connection = connection
        self.context = context
        self.access = access
    }

    private var channel: any Channel { connection.channel.channel }

    /// What answers the requests: the same for every connection, over the daemon's context.
    private var requests: ControlRequestHandler { ControlRequestHandler(context: context) }

    /// Writes an answer line without waiting for the write to complete: the next request is read
    /// meanwhile, and waiting cost a hand-over to the event loop and back for every answer.
    /// Writes keep their order.
    private var reply: @Sendable ([UInt8]) -> Void {
        { [channel] line in channel.writeAndFlush(ByteBuffer(bytes: line), promise: nil) }
    }

    func run() async {
        // Accepted while the daemon shuts down.
        if Task.isCancelled {
            await finish(with: ControlError(.shuttingDown, "daemon is shutting down"))
            return
        }
        guard let credentials = connection.credentials, access.admits(credentials) else {
            let who = connection.credentials.map { "uid \($0.uid) (pid \($0.pid))" } ?? "unknown peer"
            context.logger.warning("control client refused: \(who) is neither root nor in the control group")
            await finish(
                with: ControlError(
                    .permissionDenied, "permission denied: \(who) is neither root nor in the control group"))
            return
        }
        let peer = "uid \(credentials.uid) (pid \(credentials.pid))"
        let idle = IdleLimit(channel: channel, timeout: context.runtime.configuration.clientIdleTimeout, peer: peer)
        guard let clientID = context.admitClient(idle) else {
            idle.stop()
            context.logger.warning(
                "control client refused: max_clients (\(context.runtime.configuration.maxClients)) reached and every client is busy"
            )
            await finish(with: ControlError(.tooManyClients, "too many clients (max_clients reached); try again later"))
            return
        }
        defer { context.releaseClient(clientID) }
        connection.inputClosed.whenComplete { [clientGone] _ in clientGone.cancel() }
        var framer = LineFramer(maximumLineLength: Self.maximumRequestLength)
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                reading: for try await buffer in inbound {
                    for frame in framer.append(buffer.readableBytesView) {
                        guard case .line(let line) = frame else {
                            idle.stop()
                            await send(
                                ControlResponse<EmptyPayload>(
                                    op: nil, id: nil,
                                    error: ControlError(
                                        .requestTooLarge,
                                        "request line longer than \(Self.maximumRequestLength) bytes; closing")))
                            break reading
                        }
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        // An evicted connection starts nothing more; its close is on its way.
                        guard idle.pause() else { break reading }
                        let next = await requests.handle(line, clientGone: clientGone, reply: reply)
                        if case .watch(let request) = next { await watch(request) }
                        guard next == .keepOpen, channel.isActive else { break reading }
                        // A client that sends requests and never reads its answers must not make
                        // the daemon buffer them without bound: while the answers already queued
                        // pass the channel's high watermark, read nothing more from it. The
                        // writer suspends until the client has read them (an empty write sends
                        // nothing); meanwhile the socket's buffers fill and the client's writes
                        // block, and no other client is affected. The idle limit runs meanwhile: a
                        // client that reads nothing for client_idle_timeout is closed.
                        idle.restart()
                        if !channel.isWritable { try await outbound.write(ByteBuffer()) }
                    }
                }
            }
        } catch {
            context.logger.debug("control client connection ended: \(error)")
        }
        idle.stop()
    }

    /// Streams tracker events until the client goes away or stops reading.
    private func watch(_ request: ControlRequest) async {
        let events = await context.tracker.events()
        await send(ControlResponse(op: .watch, id: request.id, payload: EmptyPayload()))
        _ = await untilInputClosed {
            for await event in events {
                guard channel.isWritable else {
                    context.logger.warning("watch client is not reading; disconnecting it")
                    channel.close(promise: nil)
                    return true
                }
                await send(Self.watchEvent(event))
            }
            return true
        }
    }

    static func watchEvent(_ event: TrackerEvent) -> WatchEvent {
        switch event {
        case .table(let change, let row):
            return WatchEvent(
                event: change.kind.rawValue, host: HostReport(row), reason: nil, source: nil,
                time: SystemClock.now().wall.rfc3339)
        case .invalid(let reason, let source, let count, let time, _):
            return WatchEvent(
                event: "invalid", host: nil, reason: reason.rawValue, source: source.description, time: time.rfc3339,
                count: count)
        }
    }

    // MARK: Plumbing

    /// Runs `operation` until it returns or the client closes its side; nil in the latter case.
    private func untilInputClosed<T: Sendable>(_ operation: @escaping @Sendable () async -> T) async -> T? {
        let inputClosed = connection.inputClosed
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                let (stream, continuation) = AsyncStream<Never>.makeStream()
                inputClosed.whenComplete { _ in continuation.finish() }
                for await _ in stream {}
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// Writes one response line and waits until it is written (before a close, and for `watch`
    /// events); failures mean the client is gone, which the read side sees.
    private func send(_ value: some JSONObjectWritable) async {
        let line = ControlCoding.line(value)
        try? await channel.writeAndFlush(ByteBuffer(bytes: line)).get()
    }

    /// Answers with `error` and closes, through the async channel so that NIO sees it finished.
    private func finish(with error: ControlError) async {
        let line = ControlCoding.line(ControlResponse<EmptyPayload>(op: nil, id: nil, error: error))
        try? await connection.channel.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(bytes: line))
        }
    }
}
