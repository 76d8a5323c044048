import KdumpDecision
import KdumpState
import KdumpWire
import Synchronization
import Testing

@Suite struct StateTableTests {
    @Test func firstMessageStartsAnEpisode() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        let events = table.record(from: nodeA, node: "a", at: clock.now())
        #expect(events.map(\.kind) == [.episodeStarted])
        #expect(table.entries[.address(nodeA)]?.messages == 1)
        #expect(table.entries[.address(nodeA)]?.node == "a")
        #expect(table.entries[.address(nodeA)]?.firstSeen == clock.now().wall)
    }

    @Test func furtherMessagesContinueTheEpisodeAndKeepFirstSeen() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        let start = clock.now()
        _ = table.record(from: nodeA, node: nil, at: start)
        clock.advance(.seconds(10))
        let events = table.record(from: nodeA, node: nil, at: clock.now())
        #expect(events.map(\.kind) == [.message])
        #expect(table.entries[.address(nodeA)]?.messages == 2)
        #expect(table.entries[.address(nodeA)]?.firstSeen == start.wall)
        #expect(table.entries[.address(nodeA)]?.lastSeen == clock.now().wall)
    }

    @Test func silenceFinishesTheEpisodeOnceAndANewMessageStartsANewOne() {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(finishedAfter: .seconds(30)))
        _ = table.record(from: nodeA, node: nil, at: clock.now())
        clock.advance(.seconds(29))
        #expect(table.sweep(at: clock.now()).isEmpty)
        #expect(
            table.entries[.address(nodeA)]!.state(at: clock.now().monotonic, finishedAfter: .seconds(30)) == .dumping)
        clock.advance(.seconds(1))
        #expect(table.sweep(at: clock.now()).map(\.kind) == [.finished])
        #expect(table.sweep(at: clock.now()).isEmpty, "finished is announced once")
        clock.advance(.seconds(5))
        let restart = clock.now()
        #expect(table.record(from: nodeA, node: nil, at: restart).map(\.kind) == [.episodeStarted])
        #expect(table.entries[.address(nodeA)]?.firstSeen == restart.wall)
        #expect(table.entries[.address(nodeA)]?.messages == 1)
    }

    @Test func entriesExpireAfterRetain() {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(finishedAfter: .seconds(30), retain: .seconds(3600)))
        _ = table.record(from: nodeA, node: nil, at: clock.now())
        clock.advance(.seconds(3599))
        #expect(table.sweep(at: clock.now()).map(\.kind) == [.finished])
        clock.advance(.seconds(1))
        #expect(table.sweep(at: clock.now()).map(\.kind) == [.expired])
        #expect(table.count == 0)
    }

    @Test func aFullTableEvictsTheOldestFinishedEntryFirst() {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(finishedAfter: .seconds(30), maxHosts: 3))
        _ = table.record(from: nodeA, node: nil, at: clock.now())  // oldest, will be finished
        clock.advance(.seconds(5))
        _ = table.record(from: nodeB, node: nil, at: clock.now())  // finished later
        clock.advance(.seconds(40))
        _ = table.record(from: nodeC, node: nil, at: clock.now())  // dumping
        let newcomer = HostAddress("10.9.9.9")!
        let events = table.record(from: newcomer, node: nil, at: clock.now())
        #expect(events.map(\.kind) == [.evicted, .episodeStarted])
        #expect(events.first?.entry.address == nodeA)
        #expect(table.count == 3)
    }

    @Test func aFloodOfNewSourcesNeverGrowsTheTable() {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(maxHosts: 64))
        for index in 0..<2000 {
            let address = HostAddress(ipv4: 10, UInt8(index >> 8), UInt8(index & 0xFF), 1)
            _ = table.record(from: address, node: nil, at: clock.now())
            clock.advance(.milliseconds(1))
        }
        #expect(table.count == 64)
        // Every entry is dumping, so the least recently heard went first: the newest remain.
        #expect(table.entries[.address(HostAddress(ipv4: 10, 7, 0xCF, 1))] != nil)
        #expect(table.entries[.address(HostAddress(ipv4: 10, 0, 0, 1))] == nil)
    }

    @Test func loweringMaxHostsEvictsAtOnce() {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(maxHosts: 10))
        for address in [nodeA, nodeB, nodeC] { _ = table.record(from: address, node: nil, at: clock.now()) }
        let events = table.update(settings: TableSettings.testing(maxHosts: 1), at: clock.now().monotonic)
        #expect(events.count == 2)
        #expect(table.count == 1)
    }

    @Test func forgetRemovesOnlyTheNamedAddresses() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        for address in [nodeA, nodeB] { _ = table.record(from: address, node: nil, at: clock.now()) }
        #expect(table.forget([.address(nodeA), .address(nodeC)]).map(\.entry.address) == [nodeA])
        #expect(table.entries.keys.sorted() == [.address(nodeB)])
    }

    /// The wall clock jumped back or forward (NTP step, a bad RTC): a stale message stays stale
    /// and a fresh one stays fresh, because ages come from the monotonic clock only.
    @Test(arguments: [-86_400 * 365, -3600, -31, 31, 3600, 86_400 * 365])
    func wallClockJumpsDoNotChangeAgesOrStates(jumpSeconds: Int) {
        let clock = ManualClock()
        var table = StateTable(settings: TableSettings.testing(finishedAfter: .seconds(30)))
        _ = table.record(from: nodeA, node: nil, at: clock.now())
        clock.advance(.seconds(40))
        _ = table.record(from: nodeB, node: nil, at: clock.now())
        clock.jumpWallClock(by: .seconds(jumpSeconds))
        let now = clock.now()
        #expect(table.entries[.address(nodeA)]!.state(at: now.monotonic, finishedAfter: .seconds(30)) == .finished)
        #expect(
            table.confirmingEntry(among: [.address(nodeA)], requestedAt: now, maxAge: .seconds(30), clockMargin: .zero)
                == nil)
        #expect(table.entries[.address(nodeB)]!.state(at: now.monotonic, finishedAfter: .seconds(30)) == .dumping)
        #expect(
            table.confirmingEntry(among: [.address(nodeB)], requestedAt: now, maxAge: .seconds(30), clockMargin: .zero)?
                .address == nodeB)
    }

    @Test func confirmingEntryOnlyLooksAtTheRequestedAddresses() {
        let clock = ManualClock()
        var table = StateTable(settings: .testing())
        _ = table.record(from: nodeA, node: nil, at: clock.now())
        #expect(
            table.confirmingEntry(
                among: [.address(nodeB), .address(nodeC)], requestedAt: clock.now(), maxAge: .seconds(30),
                clockMargin: .zero)
                == nil)
        #expect(
            table.confirmingEntry(
                among: [.address(nodeB), .address(nodeA)], requestedAt: clock.now(), maxAge: .seconds(30),
                clockMargin: .zero)?
                .address == nodeA)
    }
}
