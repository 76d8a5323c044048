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

/// Tells systemd how the daemon is doing: `READY=1` once every socket is bound, a one-line
/// `STATUS=` ("2 hosts dumping, 0 waits") whenever it changes, `WATCHDOG=1` at half the
/// `WatchdogSec=` interval, and `STOPPING=1` as soon as a shutdown begins.
struct SystemdNotifier: Service, CustomStringConvertible {
    let context: DaemonContext
    var description: String { "SystemdNotifier" }

    func run() async {
        let watchdog = Systemd.watchdogPingInterval()
        var lastStatus = await status()
        Systemd.notify("READY=1\nSTATUS=\(lastStatus)")
        await withGracefulShutdownHandler {
            let tick = min(watchdog ?? .seconds(1), .seconds(1))
            var sinceWatchdog = Duration.zero
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: tick)
                sinceWatchdog += tick
                if let watchdog, sinceWatchdog >= watchdog {
                    Systemd.notify("WATCHDOG=1")
                    sinceWatchdog = .zero
                }
                let current = await status()
                if current != lastStatus {
                    Systemd.notify("STATUS=\(current)")
                    lastStatus = current
                }
            }
        } onGracefulShutdown: {
            Systemd.notify("STOPPING=1\nSTATUS=shutting down")
        }
    }

    private func status() async -> String {
        let dumping = await context.tracker.stateCounts().dumping
        let waits = await context.tracker.waitsInFlight
        return "\(dumping) host\(dumping == 1 ? "" : "s") dumping, \(waits) wait\(waits == 1 ? "" : "s")"
    }
}
