import KdumpWire

/// A token bucket per sender address: at most `rate` datagrams a second, in bursts of up to
/// twice that; the rest are counted as `rate_limited` and never reach the table.
///
/// The admission gate charges it only with datagrams that do not verify (Documentation/design.md
/// §4): a source address is no identity, so traffic forged from a capture kernel's address may
/// empty its bucket, and a genuine signed message must still get through.
///
/// A real sender sends one message every few seconds, so the default (100 a second) only ever
/// stops floods. Memory is bounded: past `maximumSources` tracked addresses, buckets that have
/// refilled completely (idle senders) are dropped, and if that frees less than half, the whole
/// set is cleared: a flood of new sources can only get a burst through, never grow memory, and
/// never make each new source cost a scan of the others.
public struct SourceRateLimiter: Sendable {
    public let rate: Int
    public let maximumSources: Int
    private var buckets: [HostAddress: Bucket] = [:]

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    /// - Parameter rate: datagrams a second per source; 0 turns the limit off.
    public init(rate: Int, maximumSources: Int = 8192) {
        self.rate = rate
        self.maximumSources = maximumSources
    }

    public var trackedSources: Int { buckets.count }

    /// Whether `source` has a token left at `now` (nanoseconds, monotonic); charges nothing.
    public func hasToken(_ source: HostAddress, at now: UInt64) -> Bool {
        guard rate > 0, let bucket = buckets[source] else { return true }
        return refilled(bucket, at: now).tokens >= 1
    }

    /// Charges one datagram from `source` arriving at `now` (nanoseconds, monotonic); whether a
    /// token was left for it.
    public mutating func admits(_ source: HostAddress, at now: UInt64) -> Bool {
        guard rate > 0 else { return true }
        var bucket = refilled(buckets[source] ?? Bucket(tokens: Double(2 * rate), updated: now), at: now)
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        if buckets[source] == nil && buckets.count >= maximumSources { evict(at: now) }
        buckets[source] = bucket
        return admitted
    }

    private func refilled(_ bucket: Bucket, at now: UInt64) -> Bucket {
        guard now > bucket.updated else { return bucket }
        let tokens = min(Double(2 * rate), bucket.tokens + Double(now - bucket.updated) * Double(rate) / 1e9)
        return Bucket(tokens: tokens, updated: now)
    }

    private mutating func evict(at now: UInt64) {
        let capacity = Double(2 * rate)
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(now &- bucket.updated) * Double(rate) / 1e9 < capacity
        }
        if buckets.count >= maximumSources / 2 { buckets.removeAll(keepingCapacity: true) }
    }
}
