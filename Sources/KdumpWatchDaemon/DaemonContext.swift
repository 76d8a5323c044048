import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpState
import KdumpWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus

/// The configuration in force and what was derived from it; replaced as a whole on reload.
struct RuntimeSettings: Sendable {
    var configuration: DaemonConfiguration
    var directory: NodeDirectory
    var allow: AllowPolicy
    var authentication: Authentication
    var logger: Logger

    /// Derives everything from `configuration`: the node directory (its warnings go to
    /// `logger`) and the keys, read and checked now. Throws when a key file is refused, so that
    /// the daemon does not start, or a reload keeps the configuration in force.
    static func load(_ configuration: DaemonConfiguration, logger: Logger) throws -> RuntimeSettings {
        let (directory, warnings) = try NodeDirectory.load(configuration.nodes)
        for warning in warnings { logger.warning("\(warning)") }
        return RuntimeSettings(
            configuration: configuration, directory: directory,
            allow: AllowPolicy(rules: configuration.allow, directory: directory),
            authentication: Authentication(
                mode: configuration.auth, keys: try loadKeys(configuration.authKeys),
                window: configuration.authWindow),
            logger: logger)
    }

    /// The keys of `auth_key`, each file checked (Documentation/protocol.md §6).
    static func loadKeys(_ paths: [String]) throws -> MessageKeys {
        var keys: [AuthKey] = []
        for path in paths {
            do {
                keys.append(try AuthKey.load(path: path))
            } catch {
                throw ConfigurationError(origin: "auth_key", message: error.description)
            }
        }
        return MessageKeys(keys)
    }
}

/// What every part of the running daemon shares: the tracker, the metrics, the settings in
/// force, and a few facts for `health`.
final class DaemonContext: Sendable {
    let tracker: HostTracker
    let metrics: DaemonMetrics
    let version: String
    let startedAt = ContinuousClock.now
    private let settings: NIOLockedValueBox<RuntimeSettings>
    private let udpListeners = NIOLockedValueBox<[HealthReport.Listener]>([])
    private let httpListeners = NIOLockedValueBox<[HealthReport.Listener]>([])
    private let stateWritable = NIOLockedValueBox(true)
    let clients = ControlClients()
    /// The newest signed message of every node, shared by the UDP sockets (the replay rule).
    let replay: ReplayRecords

    init(
        settings: RuntimeSettings, tracker: HostTracker, metrics: DaemonMetrics, version: String,
        replay: ReplayRecords? = nil
    ) {
        self.replay = replay ?? ReplayRecords(capacity: settings.configuration.maxHosts)
        self.settings = NIOLockedValueBox(settings)
        self.tracker = tracker
        self.metrics = metrics
        self.version = version
    }

    var runtime: RuntimeSettings { settings.withLockedValue { $0 } }
    var logger: Logger { settings.withLockedValue { $0.logger } }

    func replace(_ runtime: RuntimeSettings) { settings.withLockedValue { $0 = runtime } }

    var listeners: [HealthReport.Listener] {
        get { udpListeners.withLockedValue { $0 } }
        set { udpListeners.withLockedValue { $0 = newValue } }
    }

    /// Where the HTTP `/metrics` endpoint listens; empty when `metrics_listen` is not set.
    var metricsListeners: [HealthReport.Listener] {
        get { httpListeners.withLockedValue { $0 } }
        set { httpListeners.withLockedValue { $0 = newValue } }
    }

    var isStateWritable: Bool {
        get { stateWritable.withLockedValue { $0 } }
        set { stateWritable.withLockedValue { $0 = newValue } }
    }

    /// Admits a new control client under `max_clients`; when the daemon is full, the client
    /// that has waited longest without sending a complete request makes room (see
    /// ``ControlClients``). Nil when every connection is busy and the newcomer must be refused.
    func admitClient(_ client: IdleLimit) -> ControlClients.ID? {
        let limit = runtime.configuration.maxClients
        guard let (id, evicted) = clients.admit(client, limit: limit) else { return nil }
        if let evicted {
            metrics.controlClientsEvicted.increment()
            logger.warning(
                "control client \(evicted.client.peer) closed to make room for a new one: max_clients (\(limit)) reached, and it had sent no request for \(evicted.idleSeconds.plainText) s"
            )
            evicted.client.close(
                with: ControlError(
                    .idleTimeout,
                    "closed to make room for another client: max_clients (\(limit)) reached and this connection had sent no request for the longest"
                ))
        } else {
            metrics.controlClients.increment()
        }
        logger.debug("control client admitted: \(client.peer) (max_clients \(limit))")
        return id
    }

    func releaseClient(_ id: ControlClients.ID) {
        if clients.release(id) { metrics.controlClients.decrement() }
    }

    var clientCount: Int { clients.count }

    /// Every address of `target`: itself if numeric, a configured node's addresses, or what
    /// the system resolver returns (on a thread of the blocking pool).
    func resolve(_ target: String, family: AddressFamily) async throws -> [HostAddress] {
        if let literal = HostAddress(target) {
            guard family.admits(literal) else {
                throw ControlError(.unresolvable, "'\(target)' is not an \(family.rawValue) address")
            }
            return [literal]
        }
        if let configured = runtime.directory.addressesByName[target]?.filter(family.admits),
            !configured.isEmpty
        {
            return configured
        }
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try AddressResolver.resolve(target, family: family)
            }
        } catch let failure as AddressResolver.Failure {
            throw ControlError(.unresolvable, failure.description)
        }
    }

    /// The table keys whose messages confirm a wait for `target` (Documentation/design.md §7).
    ///
    /// Under `auth = none` they are the target's addresses. Under `optional`, also the signed
    /// entries of the nodes those addresses belong to, and of `target` itself when it is a node
    /// name (matched without resolving it: a capture kernel may have any address). Under
    /// `required` only signed entries: a node name stands for itself, and an address only
    /// through the node that `nodes` gives it, never through the source of a message.
    func confirmingKeys(for target: String, family: AddressFamily) async throws -> Set<HostKey> {
        let runtime = self.runtime
        let names = runtime.directory.nameByAddress
        let literal = HostAddress(target)
        switch runtime.authentication.mode {
        case .none:
            return Set(try await resolve(target, family: family).map(HostKey.address))
        case .optional:
            return try await selectionKeys(for: target, family: family)
        case .required:
            if let literal {
                guard let node = names[literal] else {
                    throw ControlError(
                        .unresolvable,
                        "'\(target)' is the address of no node in 'nodes'; with auth = required only a node's signed messages confirm, so name the node or list its address in 'nodes'"
                    )
                }
                return [.node(node)]
            }
            guard SignedMessage.isValidNodeName(target) else {
                throw ControlError(
                    .unresolvable, "'\(target)' is not a node name (letters, digits, '.', '_', '-'; 64 at most)")
            }
            return [.node(target)]
        }
    }

    /// Every table key that `host` names (status and forget; waits under `optional`): its
    /// addresses, the nodes those addresses belong to, and the node of that name. With `auth`
    /// other than `none`, a node name that does not resolve still names its signed entry.
    func selectionKeys(for host: String, family: AddressFamily) async throws -> Set<HostKey> {
        let runtime = self.runtime
        let names = runtime.directory.nameByAddress
        let nodeName =
            runtime.authentication.mode != .none && HostAddress(host) == nil && SignedMessage.isValidNodeName(host)
            ? host : nil
        let addresses: [HostAddress]
        do {
            addresses = try await resolve(host, family: family)
        } catch let error as ControlError where error.code == .unresolvable && nodeName != nil {
            addresses = []
        }
        var keys = Set(addresses.map(HostKey.address))
        for address in addresses { if let node = names[address] { keys.insert(.node(node)) } }
        if let nodeName { keys.insert(.node(nodeName)) }
        return keys
    }
}
