import KdumpDecision
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

    /// A signed message is held to its own timestamp too: sent at most max_age + clock_margin
    /// before the request, whenever it arrived (Documentation/design.md §3).
    @Test func aSignedMessageMustHaveBeenSentWithinMaxAgePlusTheMargin() {
        let asked = WallClockTime(nanosecondsSinceEpoch: 1_796_212_800_000_000_000)
        func sent(_ offset: Duration) -> WallClockTime {
            WallClockTime(nanosecondsSinceEpoch: asked.nanosecondsSinceEpoch + offset.nanosecondsClamped)
        }
        let rule = { (offset: Duration, maxAge: Duration) in
            FenceDecision.confirms(sentAt: sent(offset), requestedAt: asked, maxAge: maxAge, clockMargin: .seconds(5))
        }
        #expect(rule(.seconds(-35), .seconds(30)))
        #expect(!rule(.milliseconds(-35_001), .seconds(30)), "held back past max_age + margin")
        #expect(!rule(.seconds(-119), .seconds(30)), "inside auth_window is not enough")
        #expect(rule(.seconds(-5), .zero) && !rule(.milliseconds(-5_001), .zero), "max_age 0: the margin only")
        #expect(rule(.seconds(60), .zero), "sent after the request")
        #expect(
            FenceDecision.confirms(
                sentAt: WallClockTime(nanosecondsSinceEpoch: .min),
                requestedAt: WallClockTime(nanosecondsSinceEpoch: .min),
                maxAge: .seconds(604_800), clockMargin: .seconds(120)),
            "no trap at the ends of the range")
    }

    @Test func unknownArrivalTimesNeverConfirm() {
        #expect(!FenceDecision.confirms(lastMessage: nil, requestedAt: request, maxAge: .seconds(604_800)))
    }

    @Test func aRetryKeepsTheFirstRequestsWindow() {
        // First request at `request` with max_age 30 s; the retry comes 12 s later.
        let retry = request.advanced(by: .seconds(12))
        let maxAge = FenceDecision.retryMaxAge(original: .seconds(30), elapsedSinceFirstRequest: .seconds(12))
        #expect(maxAge == .seconds(42))
        let oldestFirst = request.advanced(by: .seconds(-30))
        #expect(FenceDecision.confirms(lastMessage: oldestFirst, requestedAt: retry, maxAge: maxAge))
        let tooOld = oldestFirst.advanced(by: .milliseconds(-1))
        #expect(!FenceDecision.confirms(lastMessage: tooOld, requestedAt: retry, maxAge: maxAge))
        // max_age 0: the retry admits what arrived since the first request, nothing before it.
        let upstream = FenceDecision.retryMaxAge(original: .zero, elapsedSinceFirstRequest: .seconds(12))
        #expect(
            FenceDecision.confirms(lastMessage: request.advanced(by: .seconds(1)), requestedAt: retry, maxAge: upstream)
        )
        #expect(
            !FenceDecision.confirms(
                lastMessage: request.advanced(by: .seconds(-1)), requestedAt: retry, maxAge: upstream))
        #expect(FenceDecision.retryMaxAge(original: .seconds(5), elapsedSinceFirstRequest: .seconds(-3)) == .seconds(5))
    }
}
