import KdumpDecision
import KdumpState
import KdumpWire
import Testing

/// Entries of nodes that sign their messages (protocol version 2): one per node whatever the
/// address, phases that end an episode at once, waits matched by node name.
@Suite struct SignedEntriesTests {
    @Test func aSignedNodeIsOneEntryFromWhateverAddress() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        #expect(
            table.recordSigned(by: "a", phase: .started, from: nodeA, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [.episodeStarted])
        clock.advance(.seconds(5))
        #expect(
            table.recordSigned(by: "a", phase: .dumping, from: nodeB, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [.message])
        let entry = table.entries[.node("a")]!
        #expect(entry.address == nodeB)
        #expect(entry.messages == 2)
        #expect(entry.authenticated && entry.phase == .dumping)
        #expect(table.entries[.address(nodeA)] == nil && table.entries[.address(nodeB)] == nil)
        // A version 1 message from the same address is another entry.
        _ = table.record(from: nodeB, node: "a", at: clock.now())
        #expect(table.count == 2)
    }

    @Test(arguments: [SignedMessage.Phase.finished, .failed])
    func finishedAndFailedEndTheEpisodeAtOnce(phase: SignedMessage.Phase) {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        _ = table.recordSigned(by: "a", phase: .started, from: nodeA, sentAt: clock.now().wall, at: clock.now())
        let events = table.recordSigned(by: "a", phase: phase, from: nodeA, sentAt: clock.now().wall, at: clock.now())
        #expect(events.map(\.kind) == [.message, .finished])
        #expect(table.entries[.node("a")]!.state(at: clock.now().monotonic, finishedAfter: .seconds(30)) == .finished)
        #expect(table.sweep(at: clock.now()).isEmpty, "announced once")
        // The next message starts a new episode.
        clock.advance(.seconds(1))
        #expect(
            table.recordSigned(by: "a", phase: .started, from: nodeA, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [.episodeStarted])
    }

    /// The capture kernel says `finished` three times against loss: one dump, one episode.
    @Test func aRepeatedLastWordStartsNoNewEpisode() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing(finishedAfter: .seconds(30)))
        _ = table.recordSigned(by: "a", phase: .started, from: nodeA, sentAt: clock.now().wall, at: clock.now())
        let started = table.entries[.node("a")]!.firstSeen
        clock.advance(.seconds(10))
        #expect(
            table.recordSigned(by: "a", phase: .finished, from: nodeA, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [
                    .message, .finished,
                ])
        for phase in [SignedMessage.Phase.finished, .failed] {
            clock.advance(.seconds(1))
            #expect(
                table.recordSigned(by: "a", phase: phase, from: nodeB, sentAt: clock.now().wall, at: clock.now()).map(
                    \.kind) == [.message])
        }
        let entry = table.entries[.node("a")]!
        #expect(entry.firstSeen == started && entry.messages == 4 && entry.phase == .failed && entry.address == nodeB)
        #expect(entry.state(at: clock.now().monotonic, finishedAfter: .seconds(30)) == .finished)
        #expect(table.sweep(at: clock.now()).isEmpty, "the end is announced once")
        // Long after the end, even a last word is a new episode (a new crash whose first
        // messages were lost), and a `dumping` always is.
        clock.advance(.seconds(31))
        #expect(
            table.recordSigned(by: "a", phase: .finished, from: nodeA, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [
                    .episodeStarted, .finished,
                ])
        clock.advance(.seconds(1))
        #expect(
            table.recordSigned(by: "a", phase: .dumping, from: nodeA, sentAt: clock.now().wall, at: clock.now()).map(
                \.kind) == [.episodeStarted])
    }

    @Test func aReloadDoesNotRenameASignedEntry() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        _ = table.recordSigned(by: "a", phase: .started, from: nodeA, sentAt: clock.now().wall, at: clock.now())
        table.relabel(using: [nodeA: "b"])
        #expect(table.entries[.node("a")]?.node == "a")
    }

    @Test func aWaitForTheNodeIsConfirmedByItsSignedMessageOnly() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        let request = WaitRequest(keys: [.node("a")], maxAge: .zero, timeout: .seconds(60))
        let wait = Task { await tracker.wait(for: request) }
        while await tracker.waitsInFlight == 0 { await Task.yield() }
        clock.advance(.seconds(1))
        await tracker.recordValid(from: nodeA)
        await tracker.recordSigned(
            DatagramBatch.Signed(node: "b", phase: .started, source: nodeA, sentAt: clock.now().wall))
        #expect(await tracker.waitsInFlight == 1, "neither an address nor another node confirms")
        await tracker.recordSigned(
            DatagramBatch.Signed(node: "a", phase: .failed, source: nodeB, sentAt: clock.now().wall))
        guard case .confirmed(let row) = await wait.value else {
            Issue.record("not confirmed")
            return
        }
        #expect(row.entry.node == "a" && row.entry.address == nodeB && row.entry.phase == .failed)
    }

    @Test func signedEntriesAndReplayRecordsSurviveTheStateFile() throws {
        let boot = "9b1f3c5e-0000-4000-8000-000000000001"
        let signed = HostEntry(
            address: nodeC, node: "node-c", firstSeen: WallClockTime(nanosecondsSinceEpoch: 1_000),
            lastSeen: WallClockTime(nanosecondsSinceEpoch: 2_000),
            lastSeenMonotonic: MonotonicInstant(nanoseconds: 5_000), messages: 3, authenticated: true,
            phase: .dumping)
        let plain = HostEntry(
            address: nodeC, node: nil, firstSeen: WallClockTime(nanosecondsSinceEpoch: 1_000),
            lastSeen: WallClockTime(nanosecondsSinceEpoch: 1_000),
            lastSeenMonotonic: MonotonicInstant(nanoseconds: 4_000), messages: 1)
        let replay = ["node-c": ReplayGuard.Record(nonce: .max, sequence: .max, timestamp: 1_796_212_800_000_000_000)]
        let state = PersistedState(
            bootID: boot, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0), entries: [plain, signed], replay: replay)
        let loaded = try PersistedState.decode(
            state.encoded(), currentBootID: boot, now: MonotonicInstant(nanoseconds: 9_000))
        #expect(loaded.entries == [plain, signed])
        #expect(loaded.replay == replay)
    }

    @Test func aVersionOneStateFileIsStillRead() throws {
        let file =
            #"{"format":"kdump-watch-state","version":1,"boot_id":"x","written_at":"","hosts":[{"address":"10.0.0.1","first_seen":"","last_seen":"","first_seen_ns":1,"last_seen_ns":2,"messages":1,"finish_announced":false}]}"#
        let loaded = try PersistedState.decode(
            Array(file.utf8), currentBootID: "x", now: MonotonicInstant(nanoseconds: 9))
        #expect(loaded.entries.map(\.key) == [.address(nodeA)])
        #expect(loaded.replay.isEmpty)
    }

    @Test(arguments: [
        #"{"address":"10.0.0.1","first_seen":"","last_seen":"","first_seen_ns":1,"last_seen_ns":2,"messages":1,"finish_announced":false,"auth":true}"#,
        #"{"address":"10.0.0.1","first_seen":"","last_seen":"","first_seen_ns":1,"last_seen_ns":2,"messages":1,"finish_announced":false,"auth":true,"node":"a b"}"#,
        #"{"address":"10.0.0.1","first_seen":"","last_seen":"","first_seen_ns":1,"last_seen_ns":2,"messages":1,"finish_announced":false,"auth":true,"node":"a","phase":"done"}"#,
    ])
    func damagedSignedEntriesAreRefused(host: String) {
        let file = #"{"format":"kdump-watch-state","version":2,"boot_id":"x","written_at":"","hosts":["# + host + "]}"
        #expect(throws: PersistedState.LoadError.self) {
            try PersistedState.decode(Array(file.utf8), currentBootID: "x", now: MonotonicInstant(nanoseconds: 9))
        }
    }
}

/// Freshness by the message's own time (Documentation/design.md §3): a signed message that
/// arrives now but was sent long ago confirms neither a queued wait nor a new one.
@Suite struct SignedFreshnessTests {
    @Test func aHeldBackMessageConfirmsNothing() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        let request = WaitRequest(
            keys: [.node("a")], maxAge: .seconds(30), timeout: .seconds(60), clockMargin: .seconds(5))
        let wait = Task { await tracker.wait(for: request) }
        while await tracker.waitsInFlight == 0 { await Task.yield() }
        clock.advance(.seconds(1))
        let heldBack = WallClockTime(nanosecondsSinceEpoch: clock.now().wall.nanosecondsSinceEpoch - 100_000_000_000)
        await tracker.recordSigned(DatagramBatch.Signed(node: "a", phase: .dumping, source: nodeA, sentAt: heldBack))
        #expect(await tracker.waitsInFlight == 1, "sent 100 s ago: no confirmation, though it arrived now")
        // A new wait sees the same entry and refuses it as well.
        #expect(
            await tracker.wait(for: WaitRequest(keys: [.node("a")], maxAge: .seconds(30), timeout: .zero)) == .timedOut)
        await tracker.recordSigned(
            DatagramBatch.Signed(node: "a", phase: .dumping, source: nodeA, sentAt: clock.now().wall))
        guard case .confirmed = await wait.value else {
            Issue.record("a fresh message did not confirm")
            return
        }
    }

    @Test func aSignedEntryWithoutItsSendTimeConfirmsNothing() {
        let clock = ManualClock()
        let entry = HostEntry(
            address: nodeA, node: "a", firstSeen: clock.now().wall, lastSeen: clock.now().wall,
            lastSeenMonotonic: clock.now().monotonic, messages: 1, authenticated: true, phase: .dumping)
        #expect(!entry.confirms(requestedAt: clock.now(), maxAge: .seconds(30), clockMargin: .seconds(5)))
        var stamped = entry
        stamped.lastSentAt = clock.now().wall
        #expect(stamped.confirms(requestedAt: clock.now(), maxAge: .seconds(30), clockMargin: .seconds(5)))
    }
}
