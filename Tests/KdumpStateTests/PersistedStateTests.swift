import KdumpDecision
import KdumpState
import KdumpWire
import Testing

@Suite struct PersistedStateTests {
    let boot = "9b1f3c5e-0000-4000-8000-000000000001"

    func sampleEntries() -> [HostEntry] {
        [
            HostEntry(
                address: nodeA, node: "a", firstSeen: WallClockTime(nanosecondsSinceEpoch: 1_795_305_000_123_456_789),
                lastSeen: WallClockTime(nanosecondsSinceEpoch: 1_795_305_100_000_000_000),
                lastSeenMonotonic: MonotonicInstant(nanoseconds: 5_000_000_000), messages: 11),
            HostEntry(
                address: nodeC, node: nil, firstSeen: WallClockTime(nanosecondsSinceEpoch: 1_795_305_000_000_000_000),
                lastSeen: WallClockTime(nanosecondsSinceEpoch: 1_795_305_000_000_000_000),
                lastSeenMonotonic: MonotonicInstant(nanoseconds: 4_000_000_000), messages: 1, finishAnnounced: true),
        ]
    }

    @Test func roundTripsWithinTheSameBoot() throws {
        let state = PersistedState(
            bootID: boot, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0), entries: sampleEntries())
        let loaded = try PersistedState.decode(
            state.encoded(), currentBootID: boot, now: MonotonicInstant(nanoseconds: 9_000_000_000))
        var expected = sampleEntries()
        expected[0].node = nil  // names come from the configuration, not the file
        #expect(loaded.entries == expected)
    }

    @Test func monotonicReadingsFromAnotherBootAreDropped() throws {
        let state = PersistedState(
            bootID: boot, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0), entries: sampleEntries())
        let loaded = try PersistedState.decode(
            state.encoded(), currentBootID: "other", now: MonotonicInstant(nanoseconds: 9_000_000_000))
        #expect(loaded.entries.allSatisfy { $0.lastSeenMonotonic == nil })
        #expect(loaded.entries.map(\.firstSeen) == sampleEntries().map(\.firstSeen))
    }

    @Test func readingsFromTheFutureAreDropped() throws {
        let state = PersistedState(
            bootID: boot, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0), entries: sampleEntries())
        let loaded = try PersistedState.decode(
            state.encoded(), currentBootID: boot, now: MonotonicInstant(nanoseconds: 4_500_000_000))
        #expect(loaded.entries[0].lastSeenMonotonic == nil)
        #expect(loaded.entries[1].lastSeenMonotonic == MonotonicInstant(nanoseconds: 4_000_000_000))
    }

    /// Found by fuzz-state-file: the error quoted the file's "format" with its line break.
    @Test func errorsQuotingTheFileStayOneLine() {
        let error = #expect(throws: PersistedState.LoadError.self) {
            try PersistedState.decode(
                Array(#"{"format":"a\nb\u001b[2J","version":1}"#.utf8), currentBootID: "x",
                now: MonotonicInstant(nanoseconds: 1))
        }
        #expect(error?.description == #"not a kdump-watch state file: format is 'a\nb\u{1B}[2J'"#)
    }

    @Test(arguments: [
        "", "not json", "[]", "{\"format\":\"something-else\",\"version\":1}", "{\"version\":1}",
        "{\"format\":\"kdump-watch-state\",\"version\":3,\"hosts\":[]}",
        "{\"format\":\"kdump-watch-state\",\"version\":1}",
        "{\"format\":\"kdump-watch-state\",\"version\":1,\"boot_id\":\"x\",\"written_at\":\"\",\"hosts\":[{\"address\":\"nope\",\"first_seen\":\"\",\"last_seen\":\"\",\"first_seen_ns\":1,\"last_seen_ns\":2,\"messages\":1,\"finish_announced\":false}]}",
        "{\"format\":\"kdump-watch-state\",\"version\":1,\"boot_id\":\"x\",\"written_at\":\"\",\"hosts\":[{\"address\":\"10.0.0.1\",\"first_seen\":\"\",\"last_seen\":\"\",\"first_seen_ns\":5,\"last_seen_ns\":2,\"messages\":1,\"finish_announced\":false}]}",
        "{\"format\":\"kdump-watch-state\",\"version\":1,\"boot_id\":\"x\",\"written_at\":\"\",\"hosts\":[{\"address\":\"10.0.0.1\",\"first_seen\":\"\",\"last_seen\":\"\",\"first_seen_ns\":1,\"last_seen_ns\":2,\"messages\":0,\"finish_announced\":false}]}",
    ])
    func rejectsDamagedAndForeignFiles(text: String) {
        #expect(throws: PersistedState.LoadError.self) {
            try PersistedState.decode(Array(text.utf8), currentBootID: "x", now: MonotonicInstant(nanoseconds: 1))
        }
    }

    /// Values no daemon writes, which later arithmetic would trap on: the file is refused (and
    /// moved aside by the daemon) instead of crash-looping the daemon.
    @Test(arguments: [
        #""first_seen_ns":-9223372036854775808,"last_seen_ns":2,"messages":1"#,
        #""first_seen_ns":1,"last_seen_ns":9223372036854775807,"messages":1"#,
        #""first_seen_ns":1,"last_seen_ns":2,"messages":9223372036854775807"#,
        #""first_seen_ns":1,"last_seen_ns":2,"messages":1,"node":"a","auth":true,"sent_ns":-1"#,
    ])
    func rejectsImplausibleValues(fields: String) {
        let text =
            #"{"format":"kdump-watch-state","version":2,"boot_id":"x","written_at":"","hosts":[{"address":"10.0.0.1","first_seen":"","last_seen":"","finish_announced":false,"#
            + fields + "}]}"
        #expect(throws: PersistedState.LoadError.self) {
            try PersistedState.decode(Array(text.utf8), currentBootID: "x", now: MonotonicInstant(nanoseconds: 1))
        }
    }

    @Test func restoresAtTheLimitsWithoutTrapping() throws {
        let text =
            #"{"format":"kdump-watch-state","version":2,"boot_id":"x","written_at":"","hosts":[{"address":"10.0.0.1","first_seen":"","last_seen":"","finish_announced":false,"first_seen_ns":0,"last_seen_ns":0,"last_seen_boottime_ns":1,"messages":2147483647}]}"#
        let state = try PersistedState.decode(
            Array(text.utf8), currentBootID: "x", now: MonotonicInstant(nanoseconds: 1))
        var table = StateTable(settings: .testing())
        for entry in state.entries { table.restore(entry) }
        let clock = ManualClock()
        _ = table.sweep(at: clock.now())
        _ = table.record(from: HostAddress("10.0.0.1")!, node: nil, at: clock.now())
        #expect(table.entries.count <= 1)
    }

    @Test func restoredEntriesFromAnEarlierBootNeverConfirmAFence() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        var entry = sampleEntries()[0]
        entry.lastSeenMonotonic = nil
        entry.lastSeen = clock.now().wall
        await tracker.restore([entry])
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(604_800), timeout: .milliseconds(10)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        clock.advance(.milliseconds(10))
        await tracker.expireWaits()
        #expect(await outcome == .timedOut)
        #expect(await tracker.snapshot().first?.state == .finished)
    }
}
