import KdumpState
import KdumpWire
import Synchronization
import Testing

@Suite struct FenceDecisionTests {
    let request = MonotonicInstant(nanoseconds: 100_000_000_000)

    @Test func messagesWithinMaxAgeConfirm() {
        let recent = request.advanced(by: .seconds(-30))
        #expect(FenceDecision.confirms(lastMessage: recent, requestedAt: request, maxAge: .seconds(30)))
        let old = request.advanced(by: .milliseconds(-30_001))
        #expect(!FenceDecision.confirms(lastMessage: old, requestedAt: request, maxAge: .seconds(30)))
    }

    @Test func maxAgeZeroAdmitsOnlyLaterMessages() {
        #expect(
            !FenceDecision.confirms(
                lastMessage: request.advanced(by: .nanoseconds(-1)), requestedAt: request, maxAge: .zero))
        #expect(!FenceDecision.confirms(lastMessage: request, requestedAt: request, maxAge: .zero))
        #expect(
            FenceDecision.confirms(lastMessage: request.advanced(by: .seconds(1)), requestedAt: request, maxAge: .zero))
    }

    @Test func unknownArrivalTimesNeverConfirm() {
        #expect(!FenceDecision.confirms(lastMessage: nil, requestedAt: request, maxAge: .seconds(604_800)))
    }

    @Test func confirmingEntryOnlyLooksAtTheRequestedAddresses() {
        let clock = ManualClock()
        var table = StateTable()
        _ = table.record(from: nodeA, node: nil, at: clock.now())
        #expect(
            table.confirmingEntry(among: [nodeB, nodeC], requestedAt: clock.now().monotonic, maxAge: .seconds(30))
                == nil)
        #expect(
            table.confirmingEntry(among: [nodeB, nodeA], requestedAt: clock.now().monotonic, maxAge: .seconds(30))?
                .address == nodeA)
    }
}
