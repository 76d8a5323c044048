import Glibc
import KdumpReadiness
import Logging
import Prometheus
import ServiceLifecycle

/// Runs this node's readiness checks (Documentation/operators-guide.md, "Readiness") at start,
/// every minute and after each reload, for `health` and the metrics, and logs each change. The
/// image is read again only when it or something the checks read changed
/// (``ReadinessProbe/run(previous:)``), by the distribution's own tools in child processes:
/// nothing here runs on the event loops, and no fence waits for it.
struct ReadinessMonitor: Service, CustomStringConvertible {
    let context: DaemonContext
    /// kdump-watchd's `--config`, whose changes the checks follow.
    let configPath: String?
    var description: String { "ReadinessMonitor" }

    static let interval = Duration.seconds(60)

    func run() async {
        let requests = context.readinessRequests
        let ticks = Task {
            while !Task.isCancelled {
                requests.continuation.yield()
                try? await Task.sleep(for: Self.interval)
            }
        }
        defer { ticks.cancel() }
        await cancelWhenGracefulShutdown {
            var previous: ReadinessSnapshot?
            for await _ in requests.stream {
                let snapshot = await ReadinessProbe(settings: settings()).run(previous: previous)
                context.readiness = snapshot
                publish(snapshot.report)
                log(snapshot.report, previous: previous?.report)
                previous = snapshot
            }
        }
    }

    private func settings() -> ReadinessSettings {
        var settings = ReadinessSettings.system { name in getenv(name).map { String(cString: $0) } }
        settings.daemonConfigurationPath = configPath
        settings.daemonConfiguration = context.runtime.configuration
        return settings
    }

    private func publish(_ report: ReadinessReport) {
        context.metrics.captureReady.set(Int64(report.ready ? 1 : 0))
        for check in report.checks {
            context.metrics.captureChecks[check.name]?.set(Int64(check.ok ? 1 : 0))
        }
    }

    /// One line when the verdict or the failing checks change, not every minute.
    private func log(_ report: ReadinessReport, previous: ReadinessReport?) {
        let problems = report.checks.filter { !$0.ok }
        guard previous.map({ $0.checks.filter { !$0.ok } != problems }) ?? true else { return }
        let logger = context.logger
        if problems.isEmpty {
            logger.notice(
                "capture ready: a crash of this node would be caught", metadata: ["KDUMP_EVENT": "capture_ready"])
        } else {
            let more = problems.count > 1 ? " and \(problems.count - 1) more (kdump-watchctl check)" : ""
            logger.warning(
                "capture NOT READY: a crash of this node would not be caught: \(Self.problemLine(problems[0]))\(more)",
                metadata: ["KDUMP_EVENT": "capture_not_ready"])
        }
    }

    /// `NAME: problem (fix: command)`, as `health` shows a failing check.
    static func problemLine(_ check: ReadinessCheck) -> String {
        "\(check.name.rawValue): \(check.detail)" + (check.fix.map { " (fix: \($0))" } ?? "")
    }
}
