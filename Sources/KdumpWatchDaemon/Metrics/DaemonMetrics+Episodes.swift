import KdumpState
import KdumpWire
import Prometheus

extension DaemonMetrics {
    /// Counts the episodes that `change` begins or ends.
    func count(_ change: TableEvent) {
        switch change.kind {
        case .episodeStarted: episodesStarted.increment()
        case .finished:
            switch change.entry.phase {
            case .finished?: episodesFinished.increment()
            case .failed?: episodesFailed.increment()
            default: episodesSilent.increment()
            }
        case .message, .expired, .forgotten, .evicted: break
        }
    }
}
