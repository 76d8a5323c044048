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
    var logger: Logger
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
    private let stateWritable = NIOLockedValueBox(true)
    private let clientCount = NIOLockedValueBox(0)

    init(settings: RuntimeSettings, tracker: HostTracker, metrics: DaemonMetrics, version: String) {
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

    var isStateWritable: Bool {
        get { stateWritable.withLockedValue { $0 } }
        set { stateWritable.withLockedValue { $0 = newValue } }
    }

    /// Counts a new control client; false (and not counted) when `max_clients` are connected.
    func admitClient() -> Bool {
        let limit = runtime.configuration.maxClients
        let admitted = clientCount.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        if admitted { metrics.controlClients.increment() }
        return admitted
    }

    func releaseClient() {
        clientCount.withLockedValue { $0 -= 1 }
        metrics.controlClients.decrement()
    }

    var clients: Int { clientCount.withLockedValue { $0 } }

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
}
