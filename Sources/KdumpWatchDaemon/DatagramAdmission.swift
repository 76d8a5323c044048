import KdumpWire

/// The admission gate (Documentation/design.md §4): the one function that decides what a
/// received datagram is, before the table sees it.
///
/// Checks run cheapest and most policy-like first: the `allow` list, then the sender's rate
/// limit, then the bytes (Documentation/protocol.md §1). Only ``Verdict/accepted`` reaches the
/// table. Protocol version 2's signature check belongs here too, after these, so that a flood of
/// forged datagrams is turned away before the expensive part.
struct DatagramAdmission {
    /// What the gate decided about one datagram.
    enum Verdict: Equatable {
        /// A valid message from an admitted sender.
        case accepted
        case rejected(InvalidDatagramReason)
    }

    private(set) var policy: AllowPolicy
    private var limiter: SourceRateLimiter

    init(policy: AllowPolicy, rateLimit: Int) {
        self.policy = policy
        limiter = SourceRateLimiter(rate: rateLimit)
    }

    /// Takes the settings in force (read once per read burst). The rate limiter's buckets are
    /// kept unless the rate changed, so a reload cannot reset a flooder's bucket.
    mutating func update(policy: AllowPolicy, rateLimit: Int) {
        self.policy = policy
        if rateLimit != limiter.rate { limiter = SourceRateLimiter(rate: rateLimit) }
    }

    /// Decides about `payload`, received from `source` at `now` (monotonic nanoseconds).
    mutating func admit(_ payload: some Collection<UInt8>, from source: HostAddress, at now: UInt64) -> Verdict {
        guard policy.admits(source) else { return .rejected(.notAllowed) }
        guard limiter.admits(source, at: now) else { return .rejected(.rateLimited) }
        switch KdumpDatagram.classify(payload) {
        case .valid: return .accepted
        case .invalid(let reason): return .rejected(reason)
        }
    }
}
