import KdumpWire

/// A token bucket per sender address: at most `rate` datagrams a second, in bursts of up to
/// twice that; the rest are counted as `rate_limited` and never reach the table.
///
/// A real sender sends one message every few seconds, so the default (100 a second) only ever
/// stops floods. Memory is bounded: past `maximumSources` tracked addresses, buckets that have
/// refilled completely (idle senders) are dropped, and if that frees less than half, the whole
/// set is cleared: a flood of new sources can only get a burst through, never grow memory, and
/// never make each new source cost a scan of the others.
struct SourceRateLimiter {
    let rate: Int
    let maximumSources: Int
    private var buckets: [HostAddress: Bucket] = [:]

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    /// - Parameter rate: datagrams a second per source; 0 turns the limit off.
    init(rate: Int, maximumSources: Int = 8192) {
        self.rate = rate
        self.maximumSources = maximumSources
    }

    var trackedSources: Int { buckets.count }

    /// Whether a datagram from `source` arriving at `now` (nanoseconds, monotonic) is admitted.
    mutating func admits(_ source: HostAddress, at now: UInt64) -> Bool {
        guard rate > 0 else { return true }
        let capacity = Double(2 * rate)
        var bucket = buckets[source] ?? Bucket(tokens: capacity, updated: now)
        if now > bucket.updated {
            bucket.tokens = min(capacity, bucket.tokens + Double(now - bucket.updated) * Double(rate) / 1e9)
            bucket.updated = now
        }
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        if buckets[source] == nil && buckets.count >= maximumSources { evict(at: now) }
        buckets[source] = bucket
        return admitted
    }

    private mutating func evict(at now: UInt64) {
        let capacity = Double(2 * rate)
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(now &- bucket.updated) * Double(rate) / 1e9 < capacity
        }
        if buckets.count >= maximumSources / 2 { buckets.removeAll(keepingCapacity: true) }
    }
}
