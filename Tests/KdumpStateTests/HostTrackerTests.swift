import KdumpState
import KdumpWire
import Testing

@Suite struct HostTrackerTests {
    @Test func aFreshMessageConfirmsAtOnce() async {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
        await tracker.recordValid(from: nodeA)
        clock.advance(.seconds(10))
        let outcome = await tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .seconds(5)))
        guard case .confirmed(let entry) = outcome else {
            Issue.record("expected confirmation, got \(outcome)")
            return
        }
        #expect(entry.address == nodeA)
    }

    @Test func aStaleMessageDoesNotConfirm() async {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
        await tracker.recordValid(from: nodeA)
        clock.advance(.seconds(31))
        let outcome = await tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .milliseconds(50)))
        #expect(outcome == .timedOut)
    }

    @Test func maxAgeZeroIgnoresEarlierMessagesButTakesTheNextOne() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
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
        let tracker = HostTracker(clock: ManualClock().now)
        async let outcome = tracker.wait(
            for: WaitRequest(addresses: [nodeA], maxAge: .seconds(30), timeout: .milliseconds(300)))
        try await waitUntil { await tracker.waitsInFlight == 1 }
        await tracker.recordValid(from: nodeB)
        await tracker.recordInvalid(.badMagic, from: nodeA)
        #expect(await outcome == .timedOut)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func oneMessageWakesEveryWaitItSatisfiesAndNoOther() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
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
                if case .confirmed(let entry) = outcome, entry.address == nodeA { confirmed += 1 }
            }
            #expect(confirmed == 25)
            #expect(await tracker.waitsInFlight == 25)
            await tracker.recordValid(from: nodeB)
            for try await (index, outcome) in group {
                #expect(index % 2 == 1)
                if case .confirmed(let entry) = outcome {
                    #expect(entry.address == nodeB)
                } else {
                    Issue.record("\(outcome)")
                }
            }
        }
    }

    @Test func cancellingTheCallerEndsTheWait() async throws {
        let tracker = HostTracker(clock: ManualClock().now)
        let task = Task {
            await tracker.wait(for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .seconds(60)))
        }
        try await waitUntil { await tracker.waitsInFlight == 1 }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func firingTheCancellationEndsTheWaitAndEveryLaterOne() async throws {
        let tracker = HostTracker(clock: ManualClock().now)
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
        let tracker = HostTracker(clock: clock.now)
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
        let tracker = HostTracker(clock: ManualClock().now)
        let order = OrderRecorder()
        await withTaskGroup(of: Void.self) { group in
            // The longest first: each shorter one must move the single timer earlier.
            for milliseconds in [400, 250, 100] {
                group.addTask {
                    let outcome = await tracker.wait(
                        for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(milliseconds)))
                    #expect(outcome == .timedOut)
                    await order.append(milliseconds)
                }
                try? await waitUntil {
                    await tracker.waitsInFlight == [400, 250, 100].firstIndex(of: milliseconds)! + 1
                }
            }
        }
        #expect(await order.values == [100, 250, 400])
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func aWaitThatEndsEarlyLeavesTheOthersTimersIntact() async throws {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
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
        #expect(await late == .timedOut)
        #expect(await tracker.waitsInFlight == 0)
    }

    @Test func theTimeoutIsATotalDeadlineThatTrafficDoesNotReset() async {
        let tracker = HostTracker(clock: ManualClock().now)
        let wait = Task {
            await tracker.wait(for: WaitRequest(addresses: [nodeA], maxAge: .zero, timeout: .milliseconds(100)))
        }
        // Traffic from another host for twenty times the timeout: a deadline that traffic reset
        // would still be pending when it stops.
        for _ in 0..<100 {
            await tracker.recordValid(from: nodeB)
            try? await Task.sleep(for: .milliseconds(20))
        }
        #expect(await tracker.waitsInFlight == 0)
        #expect(await wait.value == .timedOut)
    }

    @Test func eventsReachSubscribersInOrder() async {
        let clock = ManualClock()
        let tracker = HostTracker(settings: TableSettings(finishedAfter: .seconds(30)), clock: clock.now)
        let events = await tracker.events()
        await tracker.recordValid(from: nodeA)
        await tracker.recordValid(from: nodeA)
        await tracker.recordInvalid(.short, from: nodeB)
        clock.advance(.seconds(31))
        await tracker.sweep()
        var kinds: [String] = []
        for await event in events {
            switch event {
            case .table(let change): kinds.append(change.kind.rawValue)
            case .invalid(let reason, _, _): kinds.append(reason.rawValue)
            }
            if kinds.count == 4 { break }
        }
        #expect(kinds == ["episode_started", "message", "short", "finished"])
        #expect(await tracker.invalidDatagrams == [.short: 1])
    }

    @Test func changesAreReportedForPersistenceWithEpisodeBoundaries() async {
        let clock = ManualClock()
        let tracker = HostTracker(clock: clock.now)
        #expect(await tracker.takeChanges() == nil)
        await tracker.recordValid(from: nodeA)
        let first = await tracker.takeChanges()
        #expect(first?.episodeBoundary == true)
        #expect(first?.entries.map(\.address) == [nodeA])
        await tracker.recordValid(from: nodeA)
        #expect(await tracker.takeChanges()?.episodeBoundary == false)
        #expect(await tracker.takeChanges() == nil)
    }

    @Test func nodeNamesLabelEntries() async {
        let tracker = HostTracker(clock: ManualClock().now)
        await tracker.recordValid(from: nodeA)
        await tracker.update(nodeNames: [nodeA: "alpha"])
        #expect(await tracker.snapshot().first?.entry.node == "alpha")
        #expect(await tracker.nodes == ["alpha": [nodeA]])
    }
}

/// Polls `condition` for up to a minute (test set-up only; the code under test never polls).
actor OrderRecorder {
    private(set) var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}

func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within 60 s")
            return
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}
