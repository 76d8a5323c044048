import KdumpState
import Testing

/// The replay rule (Documentation/protocol.md §5): per node, the sequence grows under one
/// nonce, and a new nonce needs a later timestamp.
@Suite struct ReplayGuardTests {
    typealias Record = ReplayGuard.Record

    @Test func theSequenceMustGrowUnderOneNonce() {
        var replay = ReplayGuard(capacity: 8)
        #expect(replay.admit(Record(nonce: 1, sequence: 1, timestamp: 100), from: "a") == true)
        #expect(replay.admit(Record(nonce: 1, sequence: 2, timestamp: 110), from: "a") == true)
        #expect(
            replay.admit(Record(nonce: 1, sequence: 2, timestamp: 110), from: "a") == false, "the same datagram twice")
        #expect(
            replay.admit(Record(nonce: 1, sequence: 1, timestamp: 100), from: "a") == false,
            "an older one after a newer")
        // A gap is fine (lost datagrams); the clock may even step back under one nonce.
        #expect(replay.admit(Record(nonce: 1, sequence: 9, timestamp: 90), from: "a") == true)
        #expect(replay.records["a"] == Record(nonce: 1, sequence: 9, timestamp: 90))
    }

    @Test func aNewNonceNeedsALaterTimestamp() {
        var replay = ReplayGuard(capacity: 8)
        #expect(replay.admit(Record(nonce: 1, sequence: 5, timestamp: 100), from: "a") == true)
        #expect(replay.admit(Record(nonce: 2, sequence: 1, timestamp: 100), from: "a") == false)
        #expect(replay.admit(Record(nonce: 2, sequence: 1, timestamp: 99), from: "a") == false)
        #expect(replay.admit(Record(nonce: 2, sequence: 1, timestamp: 101), from: "a") == true, "the sender restarted")
        // A captured message of the old nonce is older than the new nonce's first one.
        #expect(replay.admit(Record(nonce: 1, sequence: 6, timestamp: 100), from: "a") == false)
    }

    @Test func nodesAreIndependent() {
        var replay = ReplayGuard(capacity: 8)
        #expect(replay.admit(Record(nonce: 1, sequence: 5, timestamp: 100), from: "a") == true)
        #expect(replay.admit(Record(nonce: 1, sequence: 1, timestamp: 50), from: "b") == true)
    }

    @Test func atCapacityTheNodeHeardFromLongestAgoIsForgotten() {
        var replay = ReplayGuard(capacity: 2)
        #expect(replay.admit(Record(nonce: 1, sequence: 1, timestamp: 100), from: "a") == true)
        #expect(replay.admit(Record(nonce: 1, sequence: 1, timestamp: 300), from: "b") == true)
        #expect(replay.admit(Record(nonce: 1, sequence: 1, timestamp: 200), from: "c") == true)
        #expect(Set(replay.records.keys) == ["b", "c"])
        replay.capacity = 1
        #expect(Set(replay.records.keys) == ["b"])
    }
}
