import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import Logging

@testable import KdumpWatchDaemon

extension DaemonContext {
    /// A daemon's shared state for handler tests: the given configuration, `directory` (no
    /// nodes unless given), `authentication` (none unless given), a tracker on the real clocks,
    /// metrics of its own, and a logger that drops everything.
    static func forTesting(
        _ configuration: DaemonConfiguration = DaemonConfiguration(), directory: NodeDirectory = NodeDirectory(),
        authentication: Authentication = .none
    ) -> DaemonContext {
        DaemonContext(
            settings: RuntimeSettings(
                admission: AdmissionSettings(
                    configuration: configuration, directory: directory,
                    allow: AllowPolicy(rules: configuration.allow, directory: directory),
                    authentication: authentication, warnings: []),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
            tracker: HostTracker(settings: configuration.tableSettings, clock: SystemClock.now),
            metrics: DaemonMetrics(), version: "test")
    }
}
