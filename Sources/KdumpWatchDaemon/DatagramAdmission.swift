import KdumpAuth
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire
import NIOConcurrencyHelpers

/// The admission gate (Documentation/design.md §4): the one function that decides what a
/// received datagram is, before the table sees it.
///
/// Checks run cheapest and most policy-like first: the `allow` list, then the sender's rate
/// limit, then the bytes (Documentation/protocol.md §3). A signed message (protocol version 2,
/// §5) is then checked in its own order, cheapest first again: its shape, its key id, the MAC,
/// its timestamp against `auth_window`, and last the replay rule, so that a flood of forged
/// datagrams costs one HMAC each at most and never touches the shared replay records. Only
/// ``Verdict/accepted`` and ``Verdict/signed(_:)`` reach the table.
struct DatagramAdmission {
    /// What the gate decided about one datagram.
    enum Verdict: Equatable {
        /// A valid version 1 message from an admitted sender.
        case accepted
        /// A verified, fresh, new version 2 message.
        case signed(DatagramBatch.Signed)
        /// Not accepted; `detail` is what the log line adds.
        case rejected(InvalidDatagramReason, detail: String? = nil)
    }

    private(set) var policy: AllowPolicy
    private var limiter: SourceRateLimiter
    private(set) var authentication: Authentication
    private let replay: ReplayRecords

    init(
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
    mutating func update(policy: AllowPolicy, rateLimit: Int, authentication: Authentication) {
        self.policy = policy
        self.authentication = authentication
        if rateLimit != limiter.rate { limiter = SourceRateLimiter(rate: rateLimit) }
    }

    /// Decides about `payload`, received from `source` at `now` (monotonic nanoseconds) when the
    /// wall clock read `wallClock`.
    mutating func admit(
        _ payload: some Collection<UInt8>, from source: HostAddress, at now: UInt64,
        wallClock: WallClockTime = WallClockTime(nanosecondsSinceEpoch: 0)
    ) -> Verdict {
        guard policy.admits(source) else { return .rejected(.notAllowed) }
        guard limiter.admits(source, at: now) else { return .rejected(.rateLimited) }
        if authentication.mode != .none {
            let signed =
                payload.withContiguousStorageIfAvailable { buffer in
                    checkIfSigned(UnsafeRawBufferPointer(buffer), from: source, wallClock: wallClock)
                } ?? Array(payload).withUnsafeBytes { checkIfSigned($0, from: source, wallClock: wallClock) }
            if let signed { return signed }
        }
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
        return .signed(DatagramBatch.Signed(node: message.nodeName, phase: header.phase, source: source))
    }
}

/// What the gate needs to check signed messages: the `auth` mode, the keys and `auth_window`;
/// replaced as a whole on reload.
struct Authentication: Sendable {
    var mode: AuthMode
    var keys: MessageKeys
    var window: Duration

    static let none = Authentication(mode: .none, keys: MessageKeys([]), window: .seconds(120))
}

/// The replay records of every UDP socket of the daemon (``ReplayGuard``), behind a lock: the
/// sockets share them, and the state writer saves them.
final class ReplayRecords: Sendable {
    private let records: NIOLockedValueBox<ReplayGuard>

    init(capacity: Int, restoring saved: [String: ReplayGuard.Record] = [:]) {
        records = NIOLockedValueBox(ReplayGuard(capacity: capacity, records: saved))
    }

    func admit(_ record: ReplayGuard.Record, from node: String) -> Bool {
        records.withLockedValue { $0.admit(record, from: node) }
    }

    /// Follows `max_hosts`.
    func setCapacity(_ capacity: Int) {
        records.withLockedValue { $0.capacity = max(1, capacity) }
    }

    var snapshot: [String: ReplayGuard.Record] { records.withLockedValue { $0.records } }
}
