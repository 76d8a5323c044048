import Glibc
import KdumpAdmission
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire

/// The `fence_kdump_watch` fence agent (fence_kdump_watch(8)): a drop-in for `fence_kdump` that asks
/// `kdump-watchd` whether the node to fence is in kdump instead of binding the UDP port.
///
/// Every path ends in exit status 0 (fenced, healthy, valid) or 1 (anything else), as
/// fence-agents require.
public struct FenceAgent {
    public static let version = "0.1.0"

    public let options: AgentOptions
    public let agentName: String
    let log: AgentLog

    public init(options: AgentOptions, agentName: String) {
        self.options = options
        self.agentName = agentName
        self.log = AgentLog(identifier: agentName, verbosity: options.verbose)
    }

    /// Reads the invocation (arguments, or stdin when there are none) and runs it.
    public static func main(arguments: [String], readStandardInput: () -> String) -> Int32 {
        let agentName =
            arguments.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "fence_kdump_watch"
        let invocation: AgentInvocation
        do {
            let rest = Array(arguments.dropFirst())
            invocation =
                rest.isEmpty
                ? try AgentInputParser.parse(stdin: readStandardInput())
                : try AgentInputParser.parse(arguments: rest)
        } catch {
            AgentLog(identifier: agentName, verbosity: 0).error(error.message)
            return 1
        }
        if invocation.printHelp {
            print(usage(agentName: agentName), terminator: "")
            return 0
        }
        if invocation.printVersion {
            print("\(agentName) \(version)")
            return 0
        }
        return FenceAgent(options: invocation.options, agentName: agentName).run(unknownKeys: invocation.unknownKeys)
    }

    /// Runs the configured action.
    public func run(unknownKeys: [String] = []) -> Int32 {
        if options.action != .validateAll {
            for key in unknownKeys { log.warning("ignoring unknown parameter '\(key)'") }
        }
        switch options.action {
        case .off, .reboot: return off()
        case .monitor: return monitor()
        case .metadata:
            print(AgentMetadata.document(agentName: agentName), terminator: "")
            return 0
        case .validateAll: return validate(unknownKeys: unknownKeys)
        }
    }

    var socketPath: String { options.socket ?? ControlSocketPath.forClient() }
    var targetsText: String { options.nodenames.joined(separator: ",") }

    // MARK: off

    func off() -> Int32 {
        guard !options.nodenames.isEmpty else {
            log.error("nodename is required for the \(options.action.rawValue) action")
            return 1
        }
        // The request's time on the clock the fence decision is measured on, and its deadline.
        let requestedAt = SystemClock.now()
        let deadline = ContinuousClock.now + .seconds(options.timeout)
        log.info("waiting for message from '\(targetsText)'")
        var defaultMaxAge: Double?
        var attempt = 0
        while true {
            attempt += 1
            let client: ControlClient
            do {
                client = try ControlClient(path: socketPath)
            } catch {
                if attempt == 1 { return fallback(reason: "\(error)", requestedAt: requestedAt, deadline: deadline) }
                // The daemon went away during the wait (restart): keep asking until the deadline.
                if ContinuousClock.now >= deadline { return timedOut() }
                usleep(200_000)
                continue
            }
            // A retry must not widen the window: the oldest message it admits is the oldest the
            // first request admitted (FenceDecision.retryMaxAge).
            var maxAge = options.maxAge
            if attempt > 1 {
                if maxAge == nil {
                    defaultMaxAge =
                        defaultMaxAge
                        ?? (try? client.call(ControlRequest(op: .health), expecting: HealthReport.self))?.maxAgeSeconds
                }
                if maxAge == nil && defaultMaxAge == nil {
                    log.debug("kdump-watchd did not say its max_age; waiting for new messages only")
                }
                let original = Duration.milliseconds(Int64(((maxAge ?? defaultMaxAge ?? 0) * 1000).rounded()))
                let elapsed = requestedAt.monotonic.durationUntilNow
                maxAge = FenceDecision.retryMaxAge(original: original, elapsedSinceFirstRequest: elapsed).secondsValue
            }
            let remaining = max(0, ContinuousClock.now.duration(to: deadline).secondsValue)
            let request = ControlRequest(
                op: .wait, targets: options.nodenames, timeout: remaining, maxAge: maxAge, family: options.family)
            log.debug(
                "asking kdump-watchd at \(client.path) (timeout \(Int(remaining.rounded())) s, max_age \(maxAge.map { "\($0) s" } ?? "daemon default"))"
            )
            do {
                let report = try client.call(request, expecting: WaitReport.self, timeout: .seconds(remaining + 10))
                switch report.result {
                case .confirmed:
                    let target = report.target ?? report.host?.address ?? targetsText
                    let signed = report.host.map { $0.auth ? " (signed by node \($0.node ?? "?"), authenticated)" : "" }
                    log.info("received valid message from '\(target)'\(signed ?? "")")
                    if let host = report.host {
                        log.debug("\(host.address) in kdump since \(host.firstSeen), last message \(host.lastSeen)")
                    }
                    return 0
                case .timeout:
                    return timedOut()
                }
            } catch .daemon(let error) where error.code != .shuttingDown {
                log.error(error.message)
                return 1
            } catch {
                log.warning("lost kdump-watchd during the wait (\(error)); asking again")
                if ContinuousClock.now >= deadline { return timedOut() }
            }
        }
    }

    private func timedOut() -> Int32 {
        log.info("timeout after \(options.timeout) seconds")
        return 1
    }

    /// Listens on the UDP port itself, admitting exactly what kdump-watchd would
    /// (Documentation/design.md §7): its configuration file, its keys, its gate. Whatever of
    /// that cannot be read makes the fallback fail at once: guessing would mean trusting
    /// unsigned datagrams in a cluster that requires signed ones.
    private func fallback(reason: String, requestedAt: Timestamp, deadline: ContinuousClock.Instant) -> Int32 {
        guard options.fallback == .listen else {
            log.error("\(reason) (fallback=none)")
            return 1
        }
        let configPath = options.config ?? DaemonConfiguration.defaultPath
        let settings: AdmissionSettings
        do {
            settings = try AdmissionSettings.load(DaemonConfiguration.load(path: options.config))
        } catch {
            log.error("\(reason); cannot listen instead, because kdump-watchd's configuration cannot be used: \(error)")
            return 1
        }
        let configuration = settings.configuration
        log.warning(
            "\(reason); listening on UDP port \(options.ipport) instead (fallback=listen, admitting as \(configPath) does: auth \(configuration.auth.rawValue))"
        )
        // Each key with the first target that names it, for upstream's log line.
        var owners: [HostKey: String] = [:]
        for name in options.nodenames {
            do {
                for key in try targetKeys(name, settings: settings) where owners[key] == nil { owners[key] = name }
            } catch {
                log.error(error.description)
                return 1
            }
        }
        let maxAge = options.maxAge.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) } ?? configuration.maxAge
        var listener = FallbackListener(
            port: options.ipport, log: log,
            admission: DatagramAdmission(
                policy: settings.allow, rateLimit: configuration.rateLimit, authentication: settings.authentication,
                replay: ReplayRecords(capacity: configuration.maxHosts)),
            clockMargin: configuration.clockMargin)
        do {
            switch try listener.wait(for: Set(owners.keys), requestedAt: requestedAt, maxAge: maxAge, until: deadline) {
            case .confirmed(let key, let source):
                let signed = if case .node = key { " (signed by node \(key), authenticated)" } else { "" }
                log.info("received valid message from '\(owners[key] ?? source.description)'\(signed)")
                return 0
            case .timedOut:
                return timedOut()
            }
        } catch {
            log.error(error.description)
            return 1
        }
    }

    /// The table keys that confirm `target`, by the daemon's rule (``TargetKeys``), resolving
    /// it as the daemon does: the configured node's addresses first, then the system resolver.
    private func targetKeys(_ target: String, settings: AdmissionSettings) throws(TargetKeys.Failure) -> Set<HostKey> {
        let mode = settings.authentication.mode
        var addresses: Result<[HostAddress], AddressResolver.Failure> = .success([])
        if TargetKeys.needsAddresses(target, mode: mode) {
            addresses =
                TargetKeys.knownAddresses(of: target, family: options.family, directory: settings.directory)
                ?? Result { () throws(AddressResolver.Failure) in
                    try AddressResolver.resolve(target, family: options.family)
                }
        }
        return try TargetKeys.confirming(target, mode: mode, directory: settings.directory, addresses: addresses)
    }

    // MARK: monitor

    func monitor() -> Int32 {
        let health: HealthReport
        do {
            health = try ControlClient(path: socketPath).call(
                ControlRequest(op: .health), expecting: HealthReport.self, timeout: .seconds(10))
        } catch {
            log.error("\(error)")
            return 1
        }
        guard health.udp.contains(where: { $0.port == options.ipport }) else {
            let ports = health.udp.map(\.description).joined(separator: ", ")
            log.error(
                "kdump-watchd (pid \(health.pid)) does not hold UDP port \(options.ipport) (it listens on: \(ports.isEmpty ? "nothing" : ports))"
            )
            return 1
        }
        if health.auth == "required", let problem = health.authKeyError {
            log.error("kdump-watchd requires signed messages but cannot read its key: \(problem)")
            return 1
        }
        if health.captureReady == false {
            let problems = (health.captureProblems ?? []).joined(separator: "; ")
            let line = "a crash of this node would not be caught by its capture kernel: \(problems)"
            switch options.monitorReadiness {
            case .warn: log.warning(line)
            case .fail:
                log.error(line)
                return 1
            }
        }
        log.debug(
            "kdump-watchd \(health.version) (pid \(health.pid)) holds UDP port \(options.ipport); \(health.hostsDumping) hosts dumping"
        )
        return 0
    }

    // MARK: validate-all

    func validate(unknownKeys: [String]) -> Int32 {
        if let key = unknownKeys.first {
            log.error("unknown parameter '\(key)'")
            return 1
        }
        guard !options.nodenames.isEmpty else { return 0 }
        // Prefer the daemon's view: it knows the nodes of its configuration too.
        if let client = try? ControlClient(path: socketPath) {
            do {
                _ = try client.call(
                    ControlRequest(op: .status, hosts: options.nodenames, family: options.family),
                    expecting: StatusReport.self, timeout: .seconds(30))
                return 0
            } catch .daemon(let error) {
                log.error(error.message)
                return 1
            } catch {
                log.debug("kdump-watchd did not answer (\(error)); resolving locally")
            }
        }
        for name in options.nodenames {
            do {
                _ = try AddressResolver.resolve(name, family: options.family)
            } catch {
                log.error(error.description)
                return 1
            }
        }
        return 0
    }

    /// The usage text, upstream's layout: the options in a column of 31, then their help.
    static func usage(agentName: String) -> String {
        let options = AgentOption.all.map { option in
            let spelled = (option.short == nil ? "      " : "  ") + option.spelling
            let padded = spelled.count < 31 ? spelled + String(repeating: " ", count: 31 - spelled.count) : spelled
            return padded + option.usage
        }
        return """
            Usage: \(agentName) [options]

            Options:

            \(options.joined(separator: "\n"))

            With no arguments, options are read as key=value lines on standard input.

            """
    }
}
