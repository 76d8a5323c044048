import KdumpDecision
import KdumpWire

/// Datagrams checked together (one read burst): the senders of valid version 1 messages and
/// the verified version 2 messages in arrival order, and the invalid ones by reason and sender
/// with how many of each.
///
/// Invalid datagrams are counted, not listed: a flood of 64 forged datagrams from one source is
/// one entry, so that it costs the tracker, the log and `watch` clients one event, not 64.
public struct DatagramBatch: Sendable {
    /// One kind of invalid datagram in the batch.
    public struct Invalid: Sendable, Equatable {
        public var reason: InvalidDatagramReason
        public var source: HostAddress
        public var count: Int
        /// What the log line adds, from the latest of them (how far a sender's clock is off).
        public var detail: String?

        public init(reason: InvalidDatagramReason, source: HostAddress, count: Int, detail: String? = nil) {
            self.reason = reason
            self.source = source
            self.count = count
            self.detail = detail
        }
    }

    /// A version 2 message whose MAC, timestamp and sequence were checked.
    public struct Signed: Sendable, Equatable {
        public var node: String
        public var phase: SignedMessage.Phase
        public var source: HostAddress
        /// The timestamp the sender signed: its own wall clock when it sent the message.
        public var sentAt: WallClockTime

        public init(node: String, phase: SignedMessage.Phase, source: HostAddress, sentAt: WallClockTime) {
            self.node = node
            self.phase = phase
            self.source = source
            self.sentAt = sentAt
        }
    }

    private struct Key: Hashable {
        var reason: InvalidDatagramReason
        var source: HostAddress
    }

    public var valid: [HostAddress] = []
    public var signed: [Signed] = []
    /// In order of each kind's first arrival.
    public private(set) var invalid: [Invalid] = []
    private var invalidIndex: [Key: Int] = [:]
    /// Invalid datagrams in all, counting repeats.
    public private(set) var invalidCount = 0

    public init() {}

    public var isEmpty: Bool { valid.isEmpty && signed.isEmpty && invalid.isEmpty }

    /// Valid datagrams of either version.
    public var validCount: Int { valid.count + signed.count }

    /// Adds one invalid datagram.
    public mutating func appendInvalid(
        _ reason: InvalidDatagramReason, from source: HostAddress, detail: String? = nil
    ) {
        invalidCount += 1
        let key = Key(reason: reason, source: source)
        if let index = invalidIndex[key] {
            invalid[index].count += 1
            if detail != nil { invalid[index].detail = detail }
        } else {
            invalidIndex[key] = invalid.count
            invalid.append(Invalid(reason: reason, source: source, count: 1, detail: detail))
        }
    }
}
