import KdumpAdmission
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
    var admission: AdmissionSettings
    var logger: Logger

    var configuration: DaemonConfiguration { admission.configuration }
    var directory: NodeDirectory { admission.directory }
    var allow: AllowPolicy { admission.allow }
    var authentication: Authentication { admission.authentication }

    /// Derives everything from `configuration` (``AdmissionSettings``); warnings go to
    /// `logger`. Throws when a key file is refused, so that the daemon does not start, or a
    /// reload keeps the configuration in force.
    static func load(_ configuration: DaemonConfiguration, logger: Logger) throws -> RuntimeSettings {
        let admission = try AdmissionSettings.load(configuration)
        for warning in admission.warnings { logger.warning("\(warning)") }
        return RuntimeSettings(admission: admission, logger: logger)
    }
}
