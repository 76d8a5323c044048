import KdumpAdmission
import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpReadiness
import KdumpState
import KdumpWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus

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
    private let readinessSnapshot = NIOLockedValueBox<ReadinessSnapshot?>(nil)
    /// Asks ``ReadinessMonitor`` to check again (a reload); a request while it checks is kept,
    /// further ones are merged into it.
    let readinessRequests = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

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

    /// The readiness checks' last result; nil until the first run ends.
    var readiness: ReadinessSnapshot? {
        get { readinessSnapshot.withLockedValue { $0 } }
        set { readinessSnapshot.withLockedValue { $0 = newValue } }
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
    func addresses(of target: String, family: AddressFamily) async -> Result<[HostAddress], AddressResolver.Failure> {
        if let known = TargetKeys.knownAddresses(of: target, family: family, directory: runtime.directory) {
            return known
        }
        do {
            return .success(
                try await NIOThreadPool.singleton.runIfActive { try AddressResolver.resolve(target, family: family) })
        } catch let failure as AddressResolver.Failure {
            return .failure(failure)
        } catch {
            return .failure(AddressResolver.Failure(name: target, reason: "\(error)"))
        }
    }

    /// The table keys whose messages confirm a wait for `target` (``TargetKeys``).
    func confirmingKeys(for target: String, family: AddressFamily) async throws -> Set<HostKey> {
        let runtime = self.runtime
        let mode = runtime.authentication.mode
        let addresses: Result<[HostAddress], AddressResolver.Failure> =
            TargetKeys.needsAddresses(target, mode: mode) ? await addresses(of: target, family: family) : .success([])
        do {
            return try TargetKeys.confirming(target, mode: mode, directory: runtime.directory, addresses: addresses)
        } catch {
            throw ControlError(.unresolvable, error.description)
        }
    }

    /// Every table key that `host` names (status and forget) (``TargetKeys``).
    func selectionKeys(for host: String, family: AddressFamily) async throws -> Set<HostKey> {
        let runtime = self.runtime
        let addresses = await addresses(of: host, family: family)
        do {
            return try TargetKeys.selecting(
                host, mode: runtime.authentication.mode, directory: runtime.directory, addresses: addresses)
        } catch {
            throw ControlError(.unresolvable, error.description)
        }
    }
}
