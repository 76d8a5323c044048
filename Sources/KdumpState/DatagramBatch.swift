import KdumpWire

/// Datagrams checked together (one read burst): the senders of valid messages in arrival
/// order, and the invalid ones by reason and sender with how many of each.
///
/// Invalid datagrams are counted, not listed: a flood of 64 forged datagrams from one source is
/// one entry, so that it costs the tracker, the log and `watch` clients one event, not 64.
public struct DatagramBatch: Sendable {
    /// One kind of invalid datagram in the batch.
    public struct Invalid: Sendable, Equatable {
        public var reason: InvalidDatagramReason
        public var source: HostAddress
        public var count: Int

        public init(reason: InvalidDatagramReason, source: HostAddress, count: Int) {
            self.reason = reason
            self.source = source
            self.count = count
        }
    }

    private struct Key: Hashable {
        var reason: InvalidDatagramReason
        var source: HostAddress
    }

    public var valid: [HostAddress] = []
    /// In order of each kind's first arrival.
    public private(set) var invalid: [Invalid] = []
    private var invalidIndex: [Key: Int] = [:]
    /// Invalid datagrams in all, counting repeats.
    public private(set) var invalidCount = 0

    public init() {}

    public var isEmpty: Bool { valid.isEmpty && invalid.isEmpty }

    /// Adds one invalid datagram.
    public mutating func appendInvalid(_ reason: InvalidDatagramReason, from source: HostAddress) {
        invalidCount += 1
        let key = Key(reason: reason, source: source)
        if let index = invalidIndex[key] {
            invalid[index].count += 1
        } else {
            invalidIndex[key] = invalid.count
            invalid.append(Invalid(reason: reason, source: source, count: 1))
        }
    }
}
