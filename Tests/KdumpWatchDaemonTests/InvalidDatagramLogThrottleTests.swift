import KdumpWire
import Testing

@testable import KdumpWatchDaemon

/// The invalid-datagram log under a flood of spoofed sources (Documentation/design.md §6):
/// each source once a minute, a bounded set of sources, one line for the rest.
@Suite struct InvalidDatagramLogThrottleTests {
    let start = ContinuousClock.now

    func source(_ index: Int) -> HostAddress {
        HostAddress("10.\(index >> 16 & 0xFF).\(index >> 8 & 0xFF).\(index & 0xFF)")!
    }

    @Test func eachSourceIsLoggedOnceAnInterval() {
        var throttle = InvalidDatagramLogThrottle(interval: .seconds(60), capacity: 100)
        #expect(throttle.decide(source(1), at: start) == .log)
        #expect(throttle.decide(source(1), at: start + .seconds(59)) == .quiet)
        #expect(throttle.decide(source(2), at: start + .seconds(59)) == .log)
        #expect(throttle.decide(source(1), at: start + .seconds(60)) == .log)
        #expect(throttle.decide(source(2), at: start + .seconds(60)) == .quiet)
    }

    /// 100,000 distinct spoofed sources: at most `capacity` are remembered and logged, one line
    /// says the rest are not, and the sources expire so that later ones are logged again.
    @Test func aFloodOfDistinctSourcesIsBoundedAndLoggedOnce() {
        var throttle = InvalidDatagramLogThrottle(interval: .seconds(60), capacity: 10_000)
        var decisions: [InvalidDatagramLogThrottle.Decision: Int] = [:]
        for index in 0..<100_000 {
            let now = start + .milliseconds(index / 10)
            decisions[throttle.decide(source(index), at: now), default: 0] += 1
            #expect(throttle.trackedSources <= 10_000)
        }
        #expect(decisions[.log] == 10_000)
        #expect(decisions[.tooManySources] == 1)
        #expect(decisions[.quiet] == 89_999)
        // A minute after the first ones were logged, they have expired: new sources are logged.
        #expect(throttle.decide(source(200_000), at: start + .seconds(61)) == .log)
        #expect(throttle.trackedSources <= 10_000)
    }
}
