import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals

/// Once a second: announces finished episodes, drops expired entries, refreshes gauges.
struct Maintenance: Service, CustomStringConvertible {
    let context: DaemonContext
    var description: String { "Maintenance" }

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await context.tracker.sweep()
                await context.refreshGauges()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
