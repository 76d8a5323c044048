import KdumpAuth
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire

/// The admission gate (Documentation/design.md §4): the one function that decides what a
/// received datagram is, before anything believes it. `kdump-watchd` runs every datagram through
/// it, and so does the fence agent's fallback listener when the daemon cannot be reached, so that
/// the agent never admits what the daemon would refuse.
///
/// Order: the `allow` list first; then the bytes. A signed message (protocol version 2, §5) is
/// checked cheapest first: its shape, its key id, the MAC, its timestamp against `auth_window`,
/// and last the replay rule, so that a flood of forged datagrams costs one HMAC each at most and
/// never touches the shared replay records.
///
/// The per-source rate limit is charged only by datagrams that are not accepted as verified
/// signed messages: a source address proves nothing, so a flood forged "from" a capture kernel's
/// address must not starve its genuine messages. A source whose bucket is empty has its unsigned
/// and malformed datagrams refused as `rate_limited` before any parsing, and its signed ones cost
/// one HMAC each, as any forged one does. Only ``Verdict/accepted`` and ``Verdict/signed(_:)``
/// reach the table.
public struct DatagramAdmission {
    /// What the gate decided about one datagram.
    public enum Verdict: Equatable, Sendable {
        /// A valid version 1 message from an admitted sender.
        case accepted
        /// A verified, fresh, new version 2 message.
        case signed(DatagramBatch.Signed)
        /// Not accepted; `detail` is what the log line adds.
        case rejected(InvalidDatagramReason, detail: String? = nil)
    }

    public private(set) var policy: AllowPolicy
    private var limiter: SourceRateLimiter
    public private(set) var authentication: Authentication
    private let replay: ReplayRecords

    public init(
        policy: AllowPolicy, rateLimit: Int, authentication: Authentication = .none,
        replay: ReplayRecords = ReplayRecords(capacity: 1)
    ) {
        self.policy = policy
        limiter = SourceRateLimiter(rate: rateLimit)
        self.authentication = authentication
        self.replay = replay
    }

    /// Takes the settings in force (read once per read burst). The rate limiter's buckets are
    /// kept unless the rate changed, so a reload cannot reset a flooder's bucket.
    public mutating func update(policy: AllowPolicy, rateLimit: Int, authentication: Authentication) {
        self.policy = policy
        self.authentication = authentication
        if rateLimit != limiter.rate { limiter = SourceRateLimiter(rate: rateLimit) }
    }

    /// What the log adds to `not_allowed` for a link-local source: a capture kernel that
    /// broadcasts sends its IPv6 copy to `ff02::1` from its link-local address, and an `allow`
    /// list made of the cluster's addresses refuses that copy once a minute through every dump,
    /// while its other copies are admitted (Documentation/operators-guide.md, "Logs").
    public static let linkLocalSource =
        "a link-local source, as a broadcasting capture kernel's copy to ff02::1 has; its other copies are judged on their own"

    /// Decides about `payload`, received from `source` at `now` (monotonic nanoseconds) when the
    /// wall clock read `wallClock`.
    public mutating func admit(
        _ payload: some Collection<UInt8>, from source: HostAddress, at now: UInt64,
        wallClock: WallClockTime = WallClockTime(nanosecondsSinceEpoch: 0)
    ) -> Verdict {
        guard policy.admits(source) else {
            return .rejected(.notAllowed, detail: source.isIPv6LinkLocal ? Self.linkLocalSource : nil)
        }
        if authentication.mode != .none {
            let signed =
                payload.withContiguousStorageIfAvailable { buffer in
                    checkIfSigned(UnsafeRawBufferPointer(buffer), from: source, wallClock: wallClock)
                } ?? Array(payload).withUnsafeBytes { checkIfSigned($0, from: source, wallClock: wallClock) }
            if let signed {
                if case .signed = signed { return signed }
                return limiter.admits(source, at: now) ? signed : .rejected(.rateLimited)
            }
        }
        guard limiter.admits(source, at: now) else { return .rejected(.rateLimited) }
        switch KdumpDatagram.classify(payload) {
        case .valid: return authentication.mode == .required ? .rejected(.unauthenticated) : .accepted
        case .invalid(let reason): return .rejected(reason)
        }
    }

    /// The verdict on a version 2 datagram; nil for any other, which the version 1 codec judges.
    private func checkIfSigned(_ bytes: UnsafeRawBufferPointer, from source: HostAddress, wallClock: WallClockTime)
        -> Verdict?
    {
        guard SignedMessage.isVersion2(bytes) else { return nil }
        let message: MessageKeys.Verified
        switch authentication.keys.verify(bytes) {
        case .success(let verified): message = verified
        case .failure(let reason): return .rejected(reason)
        }
        let header = message.header
        let skew = (Double(header.timestamp) - Double(wallClock.nanosecondsSinceEpoch)) / 1e9
        if abs(skew) > authentication.window.secondsValue {
            return .rejected(
                .clockSkew,
                detail:
                    "node \(message.nodeName)'s clock is \(abs(skew).rounded().plainText) s \(skew > 0 ? "ahead of" : "behind") this node's (auth_window \(authentication.window.secondsValue.plainText) s)"
            )
        }
        let record = ReplayGuard.Record(nonce: header.nonce, sequence: header.sequence, timestamp: header.timestamp)
        guard replay.admit(record, from: message.nodeName) else {
            return .rejected(.replayed, detail: "node \(message.nodeName), sequence \(header.sequence)")
        }
        return .signed(
            DatagramBatch.Signed(
                node: message.nodeName, phase: header.phase, source: source,
                sentAt: WallClockTime(nanosecondsSinceEpoch: Int64(clamping: header.timestamp))))
    }
}
