import KdumpState
import Prometheus

extension DaemonContext {
    /// Brings the host and wait gauges up to date.
    func refreshGauges() async {
        let counts = await tracker.stateCounts()
        metrics.hostsDumping.set(Int64(counts.dumping))
        metrics.hostsFinished.set(Int64(counts.finished))
    }
}
