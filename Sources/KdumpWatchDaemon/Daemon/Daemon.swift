import Glibc
import KdumpAdmission
import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Starts and runs `kdump-watchd`: loads the configuration, restores the state file, binds the
/// UDP and control sockets, and runs the services in a `ServiceGroup` until SIGTERM or SIGINT.
public struct Daemon: Sendable {
    public static let version = "0.1.0"
    public static let defaultConfigPath = DaemonConfiguration.defaultPath

    /// `--config`; nil means the default path, which may be absent.
    public var configPath: String?
    /// Flag values, as `(key, value)` pairs that win over the file.
    public var overrides: [(key: String, value: String)]

    public init(configPath: String?, overrides: [(key: String, value: String)]) {
        self.configPath = configPath
        self.overrides = overrides
    }

    /// Reads the configuration file (if any) and applies the flags.
    public func loadConfiguration() throws -> DaemonConfiguration {
        try DaemonConfiguration.load(path: configPath, overrides: overrides)
    }

    /// Runs until a graceful shutdown; throws ``DaemonFailure`` when it cannot start.
    public func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "kdump-watchd") { _ in DaemonLogHandler(level: configuration.logLevel) }
        logger.logLevel = configuration.logLevel

        let runtime = try RuntimeSettings.load(configuration, logger: logger)
        let directory = runtime.directory
        let controlPath = try controlSocketPath(configuration)
        let stateDirectory = try stateDirectoryPath(configuration)
        var controlGroup = try controlGroupID(configuration, logger: logger)

        let tracker = HostTracker(settings: configuration.tableSettings, clock: SystemClock.now)
        await tracker.update(nodeNames: directory.nameByAddress)
        let store = StateStore(directory: stateDirectory)
        let restored = store.load(logger: logger)
        await tracker.restore(restored.entries)
        let pendingWrites = PendingStateWrites()
        await tracker.observeChanges { pendingWrites.changed(episodeBoundary: $0) }

        let context = DaemonContext(
            settings: runtime, tracker: tracker, metrics: DaemonMetrics(), version: Self.version,
            replay: ReplayRecords(capacity: configuration.maxHosts, restoring: restored.replay))

        let inherited = Systemd.inheritedSockets()
        let inheritedDatagrams = inherited.filter { $0.kind == .datagram }
        let inheritedControl = inherited.first { $0.kind == .stream }
        if inheritedControl == nil {
            do {
                try ControlServer.ensureUnused(path: controlPath)
            } catch {
                throw DaemonFailure("cannot use control socket \(controlPath): \(error)")
            }
        }
        let group = MultiThreadedEventLoopGroup.singleton
        // The UDP sockets read on a thread of their own: under a flood, the control connections'
        // loops never wait behind datagram reads (Documentation/design.md §6).
        let datagramGroup = UDPListener.eventLoopGroup
        var listeners: [UDPListener] = []
        if !inheritedDatagrams.isEmpty {
            // Socket activation: systemd bound the UDP port (listen and port do not apply).
            for socket in inheritedDatagrams {
                do {
                    listeners.append(
                        try await UDPListener.adopt(
                            descriptor: socket.descriptor, context: context, group: datagramGroup))
                } catch {
                    await Self.close(listeners)
                    throw DaemonFailure("cannot use the UDP socket passed by systemd (\(socket.name)): \(error)")
                }
            }
        }
        for address in inheritedDatagrams.isEmpty
            ? (configuration.listen.isEmpty ? [nil] : configuration.listen.map(Optional.some)) : []
        {
            let shown = address.map { $0.isIPv4 ? "\($0)" : "[\($0)]" } ?? "[::]"
            do {
                listeners.append(
                    try await UDPListener.bind(
                        address: address, port: configuration.port, context: context, group: datagramGroup))
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                await Self.close(listeners)
                throw DaemonFailure(
                    "cannot bind UDP \(shown):\(configuration.port): address already in use (is another kdump-watchd or fence_kdump running?)"
                )
            } catch {
                await Self.close(listeners)
                throw DaemonFailure("cannot bind UDP \(shown):\(configuration.port): \(error)")
            }
        }
        context.listeners = listeners.compactMap { HealthReport.Listener(boundBy: $0.channel) }

        let server: ControlServer.ServerChannel
        var shownControlPath = controlPath
        if let inheritedControl {
            // Socket activation: systemd owns the socket file, its mode and its group.
            do {
                server = try await ControlServer.adopt(descriptor: inheritedControl.descriptor, group: group)
            } catch {
                await Self.close(listeners)
                throw DaemonFailure(
                    "cannot use the control socket passed by systemd (\(inheritedControl.name)): \(error)")
            }
            if case .unixDomainSocket? = server.channel.localAddress, let path = server.channel.localAddress?.pathname {
                shownControlPath = path
            }
        } else {
            do {
                server = try await ControlServer.bind(path: controlPath, group: group)
            } catch {
                await Self.close(listeners)
                throw DaemonFailure("cannot bind control socket \(controlPath): \(error)")
            }
            if let group = controlGroup, chown(controlPath, uid_t.max, group) != 0 {
                let reason = String(cString: strerror(errno))
                if configuration.controlGroup != nil {
                    logger.warning("cannot give \(controlPath) to group \(configuration.controlGroup!): \(reason)")
                } else {
                    // An unprivileged daemon outside haclient: the socket is its user's alone.
                    logger.info(
                        "control socket \(controlPath) is for this user only (cannot give it to haclient: \(reason))")
                    controlGroup = nil
                }
            }
            if chmod(controlPath, controlGroup == nil ? 0o600 : 0o660) != 0 {
                logger.warning("cannot set the mode of \(controlPath): \(String(cString: strerror(errno)))")
            }
        }
        defer { if inheritedControl == nil { unlink(controlPath) } }

        var metricsServer: MetricsServer?
        if !configuration.metricsListen.isEmpty {
            do {
                metricsServer = try await MetricsServer.bind(
                    configuration.metricsListen, context: context, group: group)
            } catch {
                await Self.close(listeners)
                try? await server.channel.close()
                throw DaemonFailure("\(error)")
            }
            context.metricsListeners = metricsServer?.listeners ?? []
        }

        Self.raiseDescriptorLimit(maxClients: configuration.maxClients, logger: logger)
        if configuration.allow.isEmpty {
            logger.warning(
                "allow is empty: any host that can reach UDP port \(context.listeners.map { String($0.port) }.joined(separator: ",")) can confirm a fence; set 'allow = nodes' or the cluster's networks"
            )
        }
        // Message events are logged at debug level only; without it the log skips them.
        let events = await tracker.events(bufferSize: 4096, includingMessages: configuration.logLevel <= .debug)
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let daemon = self
        var services: [any Service] = [
            StateWriter(store: store, context: context, pending: pendingWrites),
            EventLog(events: events, context: context),
            Maintenance(context: context),
        ]
        services += listeners as [any Service]
        services += [
            ControlServer(server: server, context: context, access: ControlAccess(groupID: controlGroup))
        ]
        if let metricsServer { services.append(metricsServer) }
        services += [
            Reloader(signals: hangups, context: context, load: { try daemon.loadConfiguration() }),
            // Last in the list, first to hear of a shutdown: says STOPPING=1 at once.
            SystemdNotifier(context: context),
        ]
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        let udpText = context.listeners.map(\.description)
        logger.notice(
            "kdump-watchd \(Self.version) ready: udp \(udpText.joined(separator: " ")), control \(shownControlPath)\(inheritedControl == nil ? "" : " (from systemd)"), state \(store.path), \(restored.entries.count) hosts restored, auth \(configuration.auth.rawValue)\(configuration.auth == .none ? "" : " (node keys of cluster '\(runtime.authentication.keys.clusterName)', from \(runtime.admission.clusterNameOrigin))"), \(directory.addressesByName.count) nodes\(context.metricsListeners.isEmpty ? "" : ", metrics " + context.metricsListeners.map { "http://\($0)/metrics" }.joined(separator: " "))"
        )
        try await serviceGroup.run()
        logger.notice("kdump-watchd stopped")
    }

    /// Closes channels that were bound but will never run (startup failed half-way).
    private static func close(_ listeners: [UDPListener]) async {
        for listener in listeners {
            try? await listener.channel.close()
        }
    }

    private func controlSocketPath(_ configuration: DaemonConfiguration) throws -> String {
        if let path = configuration.controlSocket {
            do {
                try FileIO.makeDirectories(path.directoryName, mode: 0o755)
            } catch {
                throw DaemonFailure("cannot create the control socket's directory: \(error)")
            }
            return path
        }
        if FileIO.isWritableDirectory(ControlSocketPath.system.directoryName, mode: 0o755) {
            return ControlSocketPath.system
        }
        let fallback = ControlSocketPath.userRuntimeDirectory
        guard FileIO.isWritableDirectory(fallback, mode: 0o700) else {
            throw DaemonFailure("no writable directory for the control socket (tried /run/kdump-watch and \(fallback))")
        }
        if let problem = ControlSocketPath.problem(withPrivateDirectory: fallback) {
            throw DaemonFailure("cannot use \(fallback) for the control socket: \(problem)")
        }
        return fallback + "/control.sock"
    }

    private func stateDirectoryPath(_ configuration: DaemonConfiguration) throws -> String {
        if let path = configuration.stateDirectory {
            guard FileIO.isWritableDirectory(path, mode: 0o750) else {
                throw DaemonFailure("state_dir \(path) cannot be created or written")
            }
            return path
        }
        if FileIO.isWritableDirectory("/var/lib/kdump-watch", mode: 0o750) { return "/var/lib/kdump-watch" }
        let fallback = ControlSocketPath.userRuntimeDirectory + "/state"
        guard FileIO.isWritableDirectory(fallback, mode: 0o700) else {
            throw DaemonFailure("no writable state directory (tried /var/lib/kdump-watch and \(fallback))")
        }
        for directory in [ControlSocketPath.userRuntimeDirectory, fallback] {
            if let problem = ControlSocketPath.problem(withPrivateDirectory: directory) {
                throw DaemonFailure("cannot use \(fallback) for the state: \(problem)")
            }
        }
        return fallback
    }

    private func controlGroupID(_ configuration: DaemonConfiguration, logger: Logger) throws -> gid_t? {
        let name = configuration.controlGroup ?? "haclient"
        if let group = getgrnam(name) { return group.pointee.gr_gid }
        if configuration.controlGroup != nil {
            throw DaemonFailure("control_group '\(name)' does not exist")
        }
        logger.info("group haclient does not exist: the control socket is for root only")
        return nil
    }
}
