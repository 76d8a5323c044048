import KdumpDecision
import KdumpState
import KdumpWire
import Synchronization
import Testing

@Suite struct HostTrackerTests {
    @Test func aFreshMessageConfirmsAtOnce() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        await tracker.recordValid(from: nodeA)
        clock.advance(.seconds(10))
        let outcome = await tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .seconds(5)))
        guard case .confirmed(let row) = outcome else {
            Issue.record("expected confirmation, got \(outcome)")
            return
        }
        #expect(row.entry.address == nodeA)
        // The row is the entry as of the request: dumping, heard from ten seconds ago.
        #expect(row.state == .dumping)
        #expect(row.age == .seconds(10))
    }

    @Test func aStaleMessageDoesNotConfirm() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        await tracker.recordValid(from: nodeA)
        clock.advance(.seconds(31))
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .milliseconds(50)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        clock.advance(.milliseconds(50))
        await tracker.expireWaits()
        #expect(await outcome == .timedOut)
    }

    @Test func maxAgeZeroIgnoresEarlierMessagesButTakesTheNextOne() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        await tracker.recordValid(from: nodeA)
        async let outcome = tracker.wait(for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(120)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        clock.advance(.milliseconds(1))
        await tracker.recordValid(from: nodeA)
        guard case .confirmed = await outcome else {
            Issue.record("the message after the request must confirm")
            return
        }
    }

    @Test func aMessageFromAnotherHostDoesNotWakeTheWait() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .milliseconds(300)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        await tracker.recordValid(from: nodeB)
        await tracker.recordInvalid(.badMagic, from: nodeA)
        #expect(await tracker.waitsInFlight == 1)
        clock.advance(.milliseconds(300))
        await tracker.expireWaits()
        #expect(await outcome == .timedOut)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func oneMessageWakesEveryWaitItSatisfiesAndNoOther() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        try await withThrowingTaskGroup(of: (Int, WaitOutcome).self) { group in
            for index in 0..<50 {
                let addresses: Set<HostAddress> = index % 2 == 0 ? [nodeA, nodeC] : [nodeB]
                group.addTask {
                    (
                        index,
                        await tracker.wait(
                            for: WaitRequest(addresses: addresses, maxAge: .zero, timeout: .seconds(120)))
                    )
                }
            }
            try await waitUntil { await tracker.waitsInFlight == 50 }
            clock.advance(.milliseconds(1))
            await tracker.recordValid(from: nodeA)
            var confirmed = 0
            for _ in 0..<25 {
                let (index, outcome) = try await group.next()!
                #expect(index % 2 == 0)
                if case .confirmed(let row) = outcome, row.entry.address == nodeA { confirmed += 1 }
            }
            #expect(confirmed == 25)
            #expect(await tracker.waitsInFlight == 25)
            await tracker.recordValid(from: nodeB)
            for try await (index, outcome) in group {
                #expect(index % 2 == 1)
                if case .confirmed(let row) = outcome {
                    #expect(row.entry.address == nodeB)
                } else {
                    Issue.record("\(outcome)")
                }
            }
        }
    }

    @Test func cancellingTheCallerEndsTheWait() async throws {
        let tracker = HostTracker(settings: .testing(), clock: ManualClock().now)
        let task = Task {
            await tracker.wait(for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(60)))
        }
        try await waitUntil { await tracker.waitsInFlight == 1 }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func firingTheCancellationEndsTheWaitAndEveryLaterOne() async throws {
        let tracker = HostTracker(settings: .testing(), clock: ManualClock().now)
        let clientGone = WaitCancellation()
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(60)), cancellation: clientGone)
        try await waitUntil { await tracker.waitsInFlight == 1 }
        clientGone.cancel()
        #expect(await outcome == .cancelled)
        #expect(await tracker.waitsInFlight == 0)
        #expect(clientGone.isCancelled)
        // A wait that starts after the client left ends at once, without being registered.
        let late = await tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(60)), cancellation: clientGone)
        #expect(late == .cancelled)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func oneCancellationServesSuccessiveWaits() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        let connection = WaitCancellation()
        for _ in 0..<3 {
            async let outcome = tracker.wait(
                for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(60)), cancellation: connection)
            try await waitUntil { await tracker.waitsInFlight == 1 }
            clock.advance(.milliseconds(1))
            await tracker.recordValid(from: nodeA)
            guard case .confirmed = await outcome else {
                Issue.record("expected confirmation")
                return
            }
        }
        #expect(!connection.isCancelled)
    }

    @Test func waitsTimeOutInDeadlineOrderWhateverTheOrderTheyStarted() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        let order = OrderRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The longest first: each shorter one must move the single timer earlier.
            for milliseconds in [400, 250, 100] {
                group.addTask {
                    let outcome = await tracker.wait(
                        for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(milliseconds)))
                    #expect(outcome == .timedOut)
                    await order.append(milliseconds)
                }
                try await waitUntil {
                    await tracker.waitsInFlight == [400, 250, 100].firstIndex(of: milliseconds)! + 1
                }
            }
            // Time passes by hand: each step ends exactly the waits whose deadline it reaches.
            for (step, left) in [(99, 3), (1, 2), (150, 1), (149, 1), (1, 0)] {
                clock.advance(.milliseconds(step))
                await tracker.expireWaits()
                #expect(await tracker.waitsInFlight == left)
                // The ended wait's task records itself before time moves on: the order checked
                // below is the tracker's, not that of the tasks' scheduling.
                try await waitUntil { await order.values.count == 3 - left }
            }
            try await group.waitForAll()
        }
        #expect(await order.values == [100, 250, 400])
    }

    @Test func aWaitThatEndsEarlyLeavesTheOthersTimersIntact() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        async let early = tracker.wait(for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(100)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        async let late = tracker.wait(for: WaitRequest(addresses: [nodeB], maxAge: .zero, timeout: .milliseconds(300)))
        try await waitUntil { await tracker.waitsInFlight == 2 }
        clock.advance(.milliseconds(1))
        await tracker.recordValid(from: nodeA)
        guard case .confirmed = await early else {
            Issue.record("expected confirmation")
            return
        }
        clock.advance(.milliseconds(298))
        await tracker.expireWaits()
        #expect(await tracker.waitsInFlight == 1)
        clock.advance(.milliseconds(1))
        await tracker.expireWaits()
        #expect(await late == .timedOut)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func theTimeoutIsATotalDeadlineThatTrafficDoesNotReset() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(settings: .testing(), clock: clock.now)
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(100)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        // Traffic from another host all along: a deadline that traffic reset would still be
        // pending at 100 ms.
        for _ in 0..<5 {
            clock.advance(.milliseconds(20))
            await tracker.recordValid(from: nodeB)
            await tracker.expireWaits()
        }
        #expect(await tracker.waitsInFlight == 0)
        #expect(await outcome == .timedOut)
    }

    @Test func theTimerEndsAWaitOnTheRealClockToo() async {
        // The daemon's case: nobody calls expireWaits; the tracker's own timer does.
        let tracker = HostTracker(settings: .testing(), clock: SystemClock.now)
        let outcome = await tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(20)))
        #expect(outcome == .timedOut)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func eventsReachSubscribersInOrder() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: TableSettings.testing(finishedAfter: .seconds(30)), clock: clock.now)
        let events = await tracker.events()
        await tracker.recordValid(from: nodeA)
        await tracker.recordValid(from: nodeA)
        await tracker.recordInvalid(.short, from: nodeB)
        clock.advance(.seconds(31))
        await tracker.sweep()
        var kinds: [String] = []
        for await event in events {
            switch event {
            case .table(let change, _): kinds.append(change.kind.rawValue)
            case .invalid(let reason, _, _, _, _): kinds.append(reason.rawValue)
            }
            if kinds.count == 4 { break }
        }
        #expect(kinds == ["episode_started", "message", "short", "finished"])
        #expect(await tracker.invalidDatagrams == [.short: 1])
    }

    @Test func changesAreReportedForPersistenceWithEpisodeBoundaries() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: TableSettings.testing(finishedAfter: .seconds(30)), clock: clock.now)
        let reports = ChangeRecorder()
        await tracker.observeChanges { reports.append($0) }
        await tracker.recordValid(from: nodeA)
        await tracker.recordValid(from: nodeA)
        await tracker.recordInvalid(.short, from: nodeB)
        clock.advance(.seconds(31))
        await tracker.sweep()
        _ = await tracker.forget([.address(nodeA)])
        // Start, message, finished, forgotten; an invalid datagram changes nothing.
        #expect(reports.values == [true, false, true, true])
        #expect(await tracker.allEntries.isEmpty)
    }

    @Test func watchEventsCarryTheRowAtTheirMoment() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: TableSettings.testing(finishedAfter: .seconds(30)), clock: clock.now)
        let events = await tracker.events()
        await tracker.recordValid(from: nodeA)
        clock.advance(.seconds(31))
        await tracker.sweep()
        var rows: [HostStatus] = []
        for await case .table(_, let row) in events {
            rows.append(row)
            if rows.count == 2 { break }
        }
        #expect(rows.map(\.state) == [.dumping, .finished])
        #expect(rows.map(\.age) == [.zero, .seconds(31)])
    }

    @Test func nodeNamesLabelEntries() async {
        let tracker = HostTracker(settings: .testing(), clock: ManualClock().now)
        await tracker.recordValid(from: nodeA)
        await tracker.update(nodeNames: [nodeA: "alpha"])
        #expect(await tracker.snapshot().first?.entry.node == "alpha")
        #expect(await tracker.nodes == ["alpha": [nodeA]])
    }
}
