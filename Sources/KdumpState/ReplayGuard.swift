/// The replay rule of protocol version 2 (Documentation/protocol.md §5): per node, the newest
/// message accepted so far, which every later message must beat.
///
/// Under the same boot nonce the sequence must grow; a new nonce (the sender restarted) must
/// carry a later timestamp than the last message accepted. A value type with no clock: the
/// daemon keeps one for all its UDP sockets and writes it to the state file, so that a restart
/// does not reopen the door to replays.
///
/// It holds at most `capacity` nodes (`max_hosts`); to make room it forgets the node whose last
/// message is oldest. Only genuine messages reach it, so only a cluster's own nodes fill it, and
/// a forgotten node's old messages are still refused by the timestamp window.
public struct ReplayGuard: Sendable, Equatable {
    /// The newest message accepted from one node.
    public struct Record: Sendable, Equatable {
        public var nonce: UInt64
        public var sequence: UInt32
        /// The sender's timestamp, nanoseconds since 1970-01-01 UTC.
        public var timestamp: UInt64

        public init(nonce: UInt64, sequence: UInt32, timestamp: UInt64) {
            self.nonce = nonce
            self.sequence = sequence
            self.timestamp = timestamp
        }
    }

    public private(set) var records: [String: Record] = [:]
    public var capacity: Int {
        didSet { trim() }
    }

    public init(capacity: Int, records: [String: Record] = [:]) {
        self.capacity = max(1, capacity)
        self.records = records
        trim()
    }

    /// Accepts `message` from `node` when it is newer than the last one accepted from it, and
    /// remembers it; false (and nothing changes) for a replay.
    public mutating func admit(_ message: Record, from node: String) -> Bool {
        if let last = records[node] {
            let newer =
                message.nonce == last.nonce ? message.sequence > last.sequence : message.timestamp > last.timestamp
            guard newer else { return false }
        } else if records.count >= capacity, let oldest = oldestNode {
            records[oldest] = nil
        }
        records[node] = message
        return true
    }

    private mutating func trim() {
        while records.count > capacity, let oldest = oldestNode { records[oldest] = nil }
    }

    /// The node whose last accepted message is the oldest: the one forgotten to make room.
    private var oldestNode: String? {
        records.min(by: { $0.value.timestamp < $1.value.timestamp })?.key
    }
}
