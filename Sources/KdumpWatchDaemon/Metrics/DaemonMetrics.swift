import KdumpReadiness
import KdumpWire
import Prometheus

/// The daemon's metrics (kdump-watchctl(8), metrics), rendered in the Prometheus text format for
/// `kdump-watchctl metrics`.
///
/// Built on a private `PrometheusCollectorRegistry` rather than the process-global
/// swift-metrics factory, so that several daemons can live in one test process.
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let datagramsReceived: Counter
    let datagramsValid: Counter
    let datagramsSigned: Counter
    let datagramsDropped: Counter
    private let datagramsInvalid: [InvalidDatagramReason: Counter]
    let hostsDumping: Gauge
    let hostsFinished: Gauge
    let waitsInFlight: Gauge
    let waitsConfirmed: Counter
    let waitsTimedOut: Counter
    let waitsFailed: Counter
    let waitLatency: DurationHistogram
    let controlClients: Gauge
    let controlRequests: Counter
    let controlClientsEvicted: Counter
    let stateWrites: Counter
    let stateWriteFailures: Counter
    let episodesStarted: Counter
    let episodesFinished: Counter
    let episodesFailed: Counter
    let episodesSilent: Counter
    let captureReady: Gauge
    let captureChecks: [ReadinessCheckName: Gauge]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "kdump_watch", metricName: metric, unitName: unit, helpText: help)
        }
        datagramsReceived = registry.makeCounter(
            descriptor: name("datagrams_received", "total", "UDP datagrams received"))
        datagramsValid = registry.makeCounter(
            descriptor: name("datagrams_valid", "total", "Valid fence_kdump messages recorded"))
        datagramsSigned = registry.makeCounter(
            descriptor: name(
                "datagrams_authenticated", "total", "Valid messages that were signed and verified (protocol 2)"))
        datagramsDropped = registry.makeCounter(
            descriptor: name("datagrams_dropped", "total", "Datagrams dropped because the daemon was overloaded"))
        var invalid: [InvalidDatagramReason: Counter] = [:]
        for reason in InvalidDatagramReason.allCases {
            invalid[reason] = registry.makeCounter(
                descriptor: name("datagrams_invalid", "total", "Datagrams rejected, by reason"),
                labels: [("reason", reason.rawValue)])
        }
        datagramsInvalid = invalid
        captureReady = registry.makeGauge(
            descriptor: name(
                "capture_ready", "", "1 when a crash of this node would be caught (every readiness check ok)"))
        var checks: [ReadinessCheckName: Gauge] = [:]
        for check in ReadinessCheckName.allCases {
            checks[check] = registry.makeGauge(
                descriptor: name("capture_check", "", "Readiness checks of this node: 1 ok, 0 failing"),
                labels: [("check", check.rawValue)])
        }
        captureChecks = checks
        let hosts = name("hosts", "", "Hosts in the state table, by state")
        hostsDumping = registry.makeGauge(descriptor: hosts, labels: [("state", "dumping")])
        hostsFinished = registry.makeGauge(descriptor: hosts, labels: [("state", "finished")])
        waitsInFlight = registry.makeGauge(
            descriptor: name("waits_in_flight", "", "Fence waits currently waiting"))
        let waits = name("waits", "total", "Fence waits answered, by result")
        waitsConfirmed = registry.makeCounter(descriptor: waits, labels: [("result", "confirmed")])
        waitsTimedOut = registry.makeCounter(descriptor: waits, labels: [("result", "timeout")])
        waitsFailed = registry.makeCounter(descriptor: waits, labels: [("result", "error")])
        waitLatency = registry.makeDurationHistogram(
            descriptor: name("wait_duration", "seconds", "Time from a wait request to its answer"),
            buckets: [
                .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
                .seconds(10), .seconds(30), .seconds(60), .seconds(300),
            ])
        controlClients = registry.makeGauge(
            descriptor: name("control_clients", "", "Connected control-socket clients"))
        controlRequests = registry.makeCounter(
            descriptor: name("control_requests", "total", "Control requests received"))
        controlClientsEvicted = registry.makeCounter(
            descriptor: name(
                "control_clients_evicted", "total",
                "Idle control clients closed to make room for a new one at max_clients"))
        stateWrites = registry.makeCounter(descriptor: name("state_writes", "total", "State file writes"))
        stateWriteFailures = registry.makeCounter(
            descriptor: name("state_write_failures", "total", "State file writes that failed"))
        episodesStarted = registry.makeCounter(
            descriptor: name("episodes_started", "total", "Kdump episodes begun (a host's first message)"))
        let ended = name(
            "episodes_ended", "total",
            "Kdump episodes ended, by how: the capture kernel said finished or failed, or it fell silent")
        episodesFinished = registry.makeCounter(descriptor: ended, labels: [("phase", "finished")])
        episodesFailed = registry.makeCounter(descriptor: ended, labels: [("phase", "failed")])
        episodesSilent = registry.makeCounter(descriptor: ended, labels: [("phase", "silent")])
    }

    func invalid(_ reason: InvalidDatagramReason) -> Counter { datagramsInvalid[reason]! }

    /// The Prometheus text exposition of every metric.
    public func render() -> String { registry.emitToString() }
}
