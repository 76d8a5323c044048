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
    /// Default `timeout` of a wait that gives none (fence_kdump's default).
    static let defaultWaitTimeout: Double = 60

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
                        let keepOpen = await handle(line)
                        guard keepOpen, channel.isActive else { break reading }
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

    // MARK: Requests

    /// Answers one request line; false when the connection should close afterwards.
    private func handle(_ line: [UInt8]) async -> Bool {
        context.metrics.controlRequests.increment()
        let request: ControlRequest
        do {
            request = try ControlRequest.parse(line)
        } catch {
            answer(ControlResponse<EmptyPayload>(op: nil, id: nil, error: error))
            return true
        }
        do {
            switch request.op {
            case .status:
                let report = try await status(request)
                answer(ControlResponse(op: .status, id: request.id, payload: report))
            case .wait:
                return try await wait(request)
            case .watch:
                await watch(request)
                return false
            case .forget:
                let report = try await forget(request)
                answer(ControlResponse(op: .forget, id: request.id, payload: report))
            case .metrics:
                await context.refreshGauges()
                answer(
                    ControlResponse(
                        op: .metrics, id: request.id, payload: MetricsReport(text: context.metrics.render())))
            case .health:
                answer(ControlResponse(op: .health, id: request.id, payload: await health()))
            }
        } catch let error as ControlError {
            answer(ControlResponse<EmptyPayload>(op: request.op, id: request.id, error: error))
        } catch {
            answer(
                ControlResponse<EmptyPayload>(
                    op: request.op, id: request.id, error: ControlError(.internalError, "\(error)")))
        }
        return true
    }

    private func keys(of hosts: [String], family: AddressFamily) async throws -> Set<HostKey> {
        var result = Set<HostKey>()
        for host in hosts { result.formUnion(try await context.selectionKeys(for: host, family: family)) }
        return result
    }

    private func status(_ request: ControlRequest) async throws -> StatusReport {
        let filter: Set<HostKey>? =
            if let hosts = request.hosts, !hosts.isEmpty {
                try await keys(of: hosts, family: request.family ?? .auto)
            } else {
                nil
            }
        let rows = await context.tracker.snapshot(of: filter)
        return StatusReport(hosts: rows.map(HostReport.init), invalid: await context.tracker.invalidDatagrams)
    }

    private func forget(_ request: ControlRequest) async throws -> ForgetReport {
        let targets = try await keys(of: request.hosts ?? [], family: request.family ?? .auto)
        let removed = await context.tracker.forget(targets)
        for row in removed {
            let entry = row.entry
            context.logger.notice(
                "forgot \(entry.node ?? entry.address.description) at an administrator's request",
                metadata: [
                    "KDUMP_EVENT": "forgotten", "KDUMP_ADDRESS": "\(entry.address)",
                    "KDUMP_HOST": "\(entry.node ?? "")",
                ])
        }
        return ForgetReport(forgotten: removed.map(HostReport.init))
    }

    /// Runs a fence wait (Documentation/design.md §3); false when the client went away during it.
    private func wait(_ request: ControlRequest) async throws -> Bool {
        let started = ContinuousClock.now
        let family = request.family ?? .auto
        var owners: [HostKey: String] = [:]
        let metrics = context.metrics
        do {
            for target in request.targets ?? [] {
                for key in try await context.confirmingKeys(for: target, family: family) where owners[key] == nil {
                    owners[key] = target
                }
            }
        } catch {
            metrics.waitsFailed.increment()
            throw error
        }
        let maxAge =
            request.maxAge.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) }
            ?? context.runtime.configuration.maxAge
        let timeout = Duration.milliseconds(Int64(((request.timeout ?? Self.defaultWaitTimeout) * 1000).rounded()))
        let waitRequest = WaitRequest(
            keys: Set(owners.keys), maxAge: maxAge, timeout: timeout,
            clockMargin: context.runtime.configuration.clockMargin)
        let targetsText = (request.targets ?? []).joined(separator: ",")
        context.logger.info(
            "waiting for message from '\(targetsText)'",
            metadata: [
                "KDUMP_EVENT": "wait", "KDUMP_HOST": "\(targetsText)",
                "keys": "\(owners.keys.sorted().map(\.description).joined(separator: ","))",
                "timeout": "\(timeout.secondsValue)", "max_age": "\(maxAge.secondsValue)",
            ])
        metrics.waitsInFlight.increment()
        let waitAnswer = WaitAnswer(channel: channel, requestID: request.id, owners: owners, started: started)
        let outcome = await context.tracker.wait(
            for: waitRequest, cancellation: clientGone, onFinish: waitAnswer.write)
        metrics.waitsInFlight.decrement()
        guard outcome != .cancelled else {
            metrics.waitsFailed.increment()
            if Task.isCancelled || !clientGone.isCancelled {
                context.logger.info("wait for '\(targetsText)' ended: daemon is shutting down")
                await send(
                    ControlResponse<EmptyPayload>(
                        op: .wait, id: request.id, error: ControlError(.shuttingDown, "daemon is shutting down")))
            } else {
                context.logger.info("wait for '\(targetsText)' cancelled: client went away")
            }
            return false
        }
        // Answered already (WaitAnswer); what is left is for the operator.
        metrics.waitLatency.record(started.duration(to: .now))
        switch outcome {
        case .confirmed(let row):
            let entry = row.entry
            metrics.waitsConfirmed.increment()
            let target = owners[entry.key]
            let how =
                entry.authenticated
                ? "signed message (node \(entry.node ?? ""), from \(entry.address))" : "valid message"
            context.logger.notice(
                "received \(how) from '\(target ?? entry.address.description)'",
                metadata: [
                    "KDUMP_EVENT": "confirmed", "KDUMP_HOST": "\(target ?? "")", "KDUMP_ADDRESS": "\(entry.address)",
                    "KDUMP_AUTH": "\(entry.authenticated)",
                ])
        case .timedOut:
            metrics.waitsTimedOut.increment()
            context.logger.notice(
                "timeout after \(timeout.secondsValue.plainText) seconds",
                metadata: ["KDUMP_EVENT": "timeout", "KDUMP_HOST": "\(targetsText)"])
        case .cancelled:
            break  // Handled above.
        }
        return true
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

    private func health() async -> HealthReport {
        let runtime = context.runtime
        let counts = await context.tracker.stateCounts()
        // Reading key files blocks: off Swift's cooperative threads.
        let keyPaths = runtime.configuration.authKeys
        let keyError = try? await NIOThreadPool.singleton.runIfActive { Self.authKeyError(keyPaths) }
        return HealthReport(
            version: context.version, pid: Int(getpid()),
            uptimeSeconds: context.startedAt.duration(to: .now).secondsValue,
            udp: context.listeners,
            hostsDumping: counts.dumping,
            hostsFinished: counts.finished,
            waitsInFlight: await context.tracker.waitsInFlight,
            controlClients: context.clientCount,
            stateWritable: context.isStateWritable,
            maxAgeSeconds: runtime.configuration.maxAge.secondsValue,
            auth: runtime.configuration.auth.rawValue, authKeyError: keyError ?? nil,
            metrics: context.metricsListeners,
            clusterName: runtime.configuration.auth == .none ? nil : runtime.authentication.keys.clusterName)
    }

    /// Why the key files cannot be read now (a restart would fail on them); nil when they can.
    private static func authKeyError(_ paths: [String]) -> String? {
        do {
            _ = try AdmissionSettings.loadKeys(paths)
            return nil
        } catch {
            return error.message
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

    /// Writes the answer to a request on a connection that stays open, without waiting for the
    /// write to complete: the next request is read meanwhile, and waiting cost a hand-over to
    /// the event loop and back for every answer. Writes keep their order.
    private func answer(_ value: some JSONObjectWritable) {
        channel.writeAndFlush(ByteBuffer(bytes: ControlCoding.line(value)), promise: nil)
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

/// Writes the answer to a `wait` the moment the tracker ends it (``HostTracker/wait(for:cancellation:onFinish:)``),
/// without waiting for the session's task to run again: in a burst of confirmations the tasks
/// queue behind one another, and the answers no longer queue with them.
private struct WaitAnswer: Sendable {
    let channel: any Channel
    let requestID: String?
    /// Which target each table key belongs to.
    let owners: [HostKey: String]
    let started: ContinuousClock.Instant

    func write(_ outcome: WaitOutcome) {
        let waited = started.duration(to: .now).secondsValue
        let line: [UInt8]
        switch outcome {
        case .confirmed(let row):
            line = ControlCoding.line(
                ControlResponse(
                    op: .wait, id: requestID,
                    payload: WaitReport(
                        result: .confirmed, host: HostReport(row), target: owners[row.entry.key],
                        waitedSeconds: waited)
                ))
        case .timedOut:
            line = ControlCoding.line(
                ControlResponse(
                    op: .wait, id: requestID,
                    payload: WaitReport(result: .timeout, host: nil, target: nil, waitedSeconds: waited)))
        case .cancelled:
            return  // The session answers (shutting down) or nobody is listening.
        }
        channel.writeAndFlush(ByteBuffer(bytes: line), promise: nil)
    }
}
