import DequeModule
import KdumpWire

/// Which invalid datagrams the log mentions: each source at most once per `interval`, and at
/// most `capacity` sources per interval, past which a flood of spoofed sources gets one line
/// saying so instead of one line each.
///
/// O(1) amortised per datagram: the sources logged lately sit in a dictionary and, in the order
/// they were logged, in a queue that expires them from the front. (The first version filtered
/// the whole dictionary for every new source past 10,000: quadratic under a flood of spoofed
/// sources, on the same task that logs everything else.)
struct InvalidDatagramLogThrottle {
    /// What to do with one invalid datagram.
    enum Decision: Equatable {
        /// Log it.
        case log
        /// Count it only: its source was logged within the interval.
        case quiet
        /// Count it only, and log once that too many sources are sending invalid datagrams.
        case tooManySources
    }

    let interval: Duration
    let capacity: Int
    private var loggedAt: [HostAddress: ContinuousClock.Instant] = [:]
    private var order = Deque<(source: HostAddress, at: ContinuousClock.Instant)>()
    private var overflowNoticeAt: ContinuousClock.Instant?

    init(interval: Duration, capacity: Int) {
        self.interval = interval
        self.capacity = max(1, capacity)
    }

    /// Sources remembered now (bounded by `capacity`).
    var trackedSources: Int { loggedAt.count }

    mutating func decide(_ source: HostAddress, at now: ContinuousClock.Instant) -> Decision {
        while let oldest = order.first, oldest.at.duration(to: now) >= interval {
            order.removeFirst()
            loggedAt[oldest.source] = nil
        }
        if loggedAt[source] != nil { return .quiet }
        guard loggedAt.count < capacity else {
            if let notice = overflowNoticeAt, notice.duration(to: now) < interval { return .quiet }
            overflowNoticeAt = now
            return .tooManySources
        }
        loggedAt[source] = now
        order.append((source, now))
        return .log
    }
}
