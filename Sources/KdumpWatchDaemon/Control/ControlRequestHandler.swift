import Glibc
import KdumpAdmission
import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpJSON
import KdumpReadiness
import KdumpState
import KdumpWire
import Logging
import NIOPosix
import Prometheus

/// Answers the control protocol's requests (Documentation/control-protocol.md) over the
/// daemon's shared context. It knows nothing of connections: each answer goes to a `reply`
/// closure as one whole line, so the unit tests drive it in-process, and the session
/// (``ControlSession``) owns framing, limits and the socket.
struct ControlRequestHandler: Sendable {
    /// Default `timeout` of a wait that gives none (fence_kdump's default).
    static let defaultWaitTimeout: Double = 60

    let context: DaemonContext

    /// What the connection does after a request.
    enum Next: Equatable, Sendable {
        /// Read the next request.
        case keepOpen
        /// Close: a wait was cancelled (its client went away, or the daemon is shutting down).
        case close
        /// Stream events to the client until it goes away (the session's part: it needs the socket).
        case watch(ControlRequest)
    }

    /// Answers one request line through `reply`, and says what the connection does next.
    /// `clientGone` fires when the client goes away, which ends a wait at once.
    func handle(
        _ line: [UInt8], clientGone: WaitCancellation, reply: @escaping @Sendable ([UInt8]) -> Void
    ) async -> Next {
        func answer(_ value: some JSONObjectWritable) { reply(ControlCoding.line(value)) }
        context.metrics.controlRequests.increment()
        let request: ControlRequest
        do {
            request = try ControlRequest.parse(line)
        } catch {
            answer(ControlResponse<EmptyPayload>(op: nil, id: nil, error: error))
            return .keepOpen
        }
        do {
            switch request.op {
            case .status:
                let report = try await status(request)
                answer(ControlResponse(op: .status, id: request.id, payload: report))
            case .wait:
                return try await wait(request, clientGone: clientGone, reply: reply) ? .keepOpen : .close
            case .watch:
                return .watch(request)
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
        return .keepOpen
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

    /// Runs a fence wait (Documentation/design.md §3); false when it was cancelled (the client
    /// went away, or the daemon is shutting down). ``WaitAnswer`` writes every answer to it.
    private func wait(
        _ request: ControlRequest, clientGone: WaitCancellation, reply: @escaping @Sendable ([UInt8]) -> Void
    ) async throws -> Bool {
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
        let waitAnswer = WaitAnswer(
            reply: reply, requestID: request.id, owners: owners, started: started, clientGone: clientGone)
        let outcome = await context.tracker.wait(
            for: waitRequest, cancellation: clientGone, onFinish: waitAnswer.write)
        metrics.waitsInFlight.decrement()
        guard outcome != .cancelled else {
            metrics.waitsFailed.increment()
            context.logger.info(
                clientGone.isCancelled
                    ? "wait for '\(targetsText)' cancelled: client went away"
                    : "wait for '\(targetsText)' ended: daemon is shutting down")
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

    private func health() async -> HealthReport {
        let runtime = context.runtime
        let counts = await context.tracker.stateCounts()
        // Reading key files blocks: off Swift's cooperative threads.
        let keyPaths = runtime.configuration.authKeys
        let keyError = try? await NIOThreadPool.singleton.runIfActive { Self.authKeyError(keyPaths) }
        let readiness = context.readiness?.report
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
            clusterName: runtime.configuration.auth == .none ? nil : runtime.authentication.keys.clusterName,
            captureReady: readiness?.ready,
            captureProblems: readiness?.checks.filter { !$0.ok }.map(ReadinessMonitor.problemLine))
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
}
