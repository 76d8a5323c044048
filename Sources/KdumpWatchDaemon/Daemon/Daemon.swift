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
    ///
    /// Start-up, step by step: the configuration and what it derives; the state restored into a
    /// tracker; the UDP sockets; the control socket; the metrics endpoint; then the services.
    /// A step that fails closes what the earlier ones bound.
    public func run() async throws {
        let configuration = try loadConfiguration()
        var logger = Logger(label: "kdump-watchd") { _ in DaemonLogHandler(level: configuration.logLevel) }
        logger.logLevel = configuration.logLevel
        let runtime = try RuntimeSettings.load(configuration, logger: logger)
        let controlPath = try controlSocketPath(configuration)
        let stateDirectory = try stateDirectoryPath(configuration)
        let controlGroup = try controlGroupID(configuration, logger: logger)

        let (context, store, restored, pendingWrites) = await restoreState(
            runtime: runtime, stateDirectory: stateDirectory, logger: logger)
        let inherited = Systemd.inheritedSockets()
        let inheritedControl = inherited.first { $0.kind == .stream }
        if inheritedControl == nil {
            do {
                try ControlServer.ensureUnused(path: controlPath)
            } catch {
                throw DaemonFailure("cannot use control socket \(controlPath): \(error)")
            }
        }
        let listeners = try await bindDatagramSockets(
            inherited: inherited.filter { $0.kind == .datagram }, configuration: configuration, context: context)
        context.listeners = listeners.compactMap { HealthReport.Listener(boundBy: $0.channel) }
        let control: ControlSocket
        do {
            control = try await bindControlSocket(
                inherited: inheritedControl, path: controlPath, group: controlGroup, configuration: configuration,
                logger: logger)
        } catch {
            await Self.close(listeners)
            throw error
        }
        defer { if inheritedControl == nil { unlink(controlPath) } }
        let metricsServer: MetricsServer?
        do {
            metricsServer = try await bindMetricsEndpoint(configuration, context: context)
        } catch {
            await Self.close(listeners)
            try? await control.server.channel.close()
            throw error
        }

        Self.raiseDescriptorLimit(maxClients: configuration.maxClients, logger: logger)
        if configuration.allow.isEmpty {
            logger.warning(
                "allow is empty: any host that can reach UDP port \(context.listeners.map { String($0.port) }.joined(separator: ",")) can confirm a fence; set 'allow = nodes' or the cluster's networks"
            )
        }
        let serviceGroup = await services(
            context: context, store: store, pendingWrites: pendingWrites, listeners: listeners, control: control,
            metricsServer: metricsServer, logger: logger)
        let udpText = context.listeners.map(\.description)
        logger.notice(
            "kdump-watchd \(Self.version) ready: udp \(udpText.joined(separator: " ")), control \(control.shownPath)\(inheritedControl == nil ? "" : " (from systemd)"), state \(store.path), \(restored) hosts restored, auth \(configuration.auth.rawValue)\(configuration.auth == .none ? "" : " (node keys of cluster '\(runtime.authentication.keys.clusterName)', from \(runtime.admission.clusterNameOrigin))"), \(runtime.directory.addressesByName.count) nodes\(context.metricsListeners.isEmpty ? "" : ", metrics " + context.metricsListeners.map { "http://\($0)/metrics" }.joined(separator: " "))"
        )
        try await serviceGroup.run()
        logger.notice("kdump-watchd stopped")
    }

    /// The tracker with the state file's entries, the shared context with its replay records,
    /// the store, how many hosts were restored, and the bookkeeping of pending writes.
    private func restoreState(runtime: RuntimeSettings, stateDirectory: String, logger: Logger) async -> (
        DaemonContext, StateStore, Int, PendingStateWrites
    ) {
        let configuration = runtime.configuration
        let tracker = HostTracker(settings: configuration.tableSettings, clock: SystemClock.now)
        await tracker.update(nodeNames: runtime.directory.nameByAddress)
        let store = StateStore(directory: stateDirectory)
        let restored = store.load(logger: logger)
        await tracker.restore(restored.entries)
        let pendingWrites = PendingStateWrites()
        await tracker.observeChanges { pendingWrites.changed(episodeBoundary: $0) }
        let context = DaemonContext(
            settings: runtime, tracker: tracker, metrics: DaemonMetrics(), version: Self.version,
            replay: ReplayRecords(capacity: configuration.maxHosts, restoring: restored.replay))
        return (context, store, restored.entries.count, pendingWrites)
    }

    /// The UDP sockets: those systemd passed (socket activation: `listen` and `port` do not
    /// apply), else one per `listen` address, else one dual-stack socket. They read on a thread
    /// of their own: under a flood, the control connections' loops never wait behind datagram
    /// reads (Documentation/design.md §6).
    private func bindDatagramSockets(
        inherited: [Systemd.InheritedSocket], configuration: DaemonConfiguration, context: DaemonContext
    ) async throws -> [UDPListener] {
        let group = UDPListener.eventLoopGroup
        var listeners: [UDPListener] = []
        for socket in inherited {
            do {
                listeners.append(
                    try await UDPListener.adopt(descriptor: socket.descriptor, context: context, group: group))
            } catch {
                await Self.close(listeners)
                throw DaemonFailure("cannot use the UDP socket passed by systemd (\(socket.name)): \(error)")
            }
        }
        guard inherited.isEmpty else { return listeners }
        for address in configuration.listen.isEmpty ? [nil] : configuration.listen.map(Optional.some) {
            let shown = address.map { $0.isIPv4 ? "\($0)" : "[\($0)]" } ?? "[::]"
            do {
                listeners.append(
                    try await UDPListener.bind(
                        address: address, port: configuration.port, context: context, group: group))
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
        return listeners
    }

    /// The bound control socket, with the path to show and the group it was given.
    private struct ControlSocket {
        var server: ControlServer.ServerChannel
        var shownPath: String
        var group: gid_t?
    }

    /// The control socket: the one systemd passed (it owns the file, its mode and group), else
    /// bound at `path`, given to `group` and mode 0660 (0600 without a group).
    private func bindControlSocket(
        inherited: Systemd.InheritedSocket?, path: String, group: gid_t?, configuration: DaemonConfiguration,
        logger: Logger
    ) async throws -> ControlSocket {
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        if let inherited {
            let server: ControlServer.ServerChannel
            do {
                server = try await ControlServer.adopt(descriptor: inherited.descriptor, group: eventLoops)
            } catch {
                throw DaemonFailure("cannot use the control socket passed by systemd (\(inherited.name)): \(error)")
            }
            var shown = path
            if case .unixDomainSocket? = server.channel.localAddress, let bound = server.channel.localAddress?.pathname
            {
                shown = bound
            }
            return ControlSocket(server: server, shownPath: shown, group: group)
        }
        let server: ControlServer.ServerChannel
        do {
            server = try await ControlServer.bind(path: path, group: eventLoops)
        } catch {
            throw DaemonFailure("cannot bind control socket \(path): \(error)")
        }
        var group = group
        if let gid = group, chown(path, uid_t.max, gid) != 0 {
            let reason = String(cString: strerror(errno))
            if let name = configuration.controlGroup {
                logger.warning("cannot give \(path) to group \(name): \(reason)")
            } else {
                // An unprivileged daemon outside haclient: the socket is its user's alone.
                logger.info("control socket \(path) is for this user only (cannot give it to haclient: \(reason))")
                group = nil
            }
        }
        if chmod(path, group == nil ? 0o600 : 0o660) != 0 {
            logger.warning("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        return ControlSocket(server: server, shownPath: path, group: group)
    }

    /// The HTTP `/metrics` endpoint, when `metrics_listen` asks for one.
    private func bindMetricsEndpoint(_ configuration: DaemonConfiguration, context: DaemonContext) async throws
        -> MetricsServer?
    {
        guard !configuration.metricsListen.isEmpty else { return nil }
        let server: MetricsServer
        do {
            server = try await MetricsServer.bind(
                configuration.metricsListen, context: context, group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            throw DaemonFailure("\(error)")
        }
        context.metricsListeners = server.listeners
        return server
    }

    /// The services in the order they start; shut down in reverse, so the notifier, last,
    /// says STOPPING=1 first.
    private func services(
        context: DaemonContext, store: StateStore, pendingWrites: PendingStateWrites, listeners: [UDPListener],
        control: ControlSocket, metricsServer: MetricsServer?, logger: Logger
    ) async -> ServiceGroup {
        // Message events are logged at debug level only; without it the log skips them.
        let events = await context.tracker.events(
            bufferSize: 4096, includingMessages: context.runtime.configuration.logLevel <= .debug)
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let daemon = self
        var services: [any Service] = [
            StateWriter(store: store, context: context, pending: pendingWrites),
            EventLog(events: events, context: context),
            Maintenance(context: context),
            ReadinessMonitor(context: context, configPath: configPath),
        ]
        services += listeners as [any Service]
        services += [
            ControlServer(server: control.server, context: context, access: ControlAccess(groupID: control.group))
        ]
        if let metricsServer { services.append(metricsServer) }
        services += [
            Reloader(signals: hangups, context: context, load: { try daemon.loadConfiguration() }),
            SystemdNotifier(context: context),
        ]
        return ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
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
