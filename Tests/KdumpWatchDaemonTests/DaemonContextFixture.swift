import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import Logging

@testable import KdumpWatchDaemon

extension DaemonContext {
    /// A daemon's shared state for handler tests: the given configuration, no nodes, a tracker
    /// on the real clocks, metrics of its own, and a logger that drops everything.
    static func forTesting(_ configuration: DaemonConfiguration = DaemonConfiguration()) -> DaemonContext {
        let directory = NodeDirectory()
        return DaemonContext(
            settings: RuntimeSettings(
                admission: AdmissionSettings(
                    configuration: configuration, directory: directory,
                    allow: AllowPolicy(rules: configuration.allow, directory: directory), authentication: .none,
                    warnings: []),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
            tracker: HostTracker(settings: configuration.tableSettings, clock: SystemClock.now),
            metrics: DaemonMetrics(), version: "test")
    }
}
