import KdumpWire
import Testing

@testable import KdumpAdmission

@Suite struct SourceRateLimiterTests {
    let source = HostAddress("10.0.0.1")!
    let second: UInt64 = 1_000_000_000

    @Test func admitsABurstOfTwiceTheRateThenTheRate() {
        var limiter = SourceRateLimiter(rate: 10)
        let burst = (0..<25).filter { _ in limiter.admits(source, at: 0) }.count
        #expect(burst == 20)
        // One second later, ten more tokens.
        let next = (0..<25).filter { _ in limiter.admits(source, at: second) }.count
        #expect(next == 10)
    }

    @Test func sourcesAreLimitedIndependently() {
        var limiter = SourceRateLimiter(rate: 1)
        let answers = (0..<3).map { _ in limiter.admits(source, at: 0) }
        #expect(answers == [true, true, false])
        let other = limiter.admits(HostAddress("10.0.0.2")!, at: 0)
        #expect(other, "a flood from one address never blocks another")
    }

    @Test func zeroTurnsTheLimitOff() {
        var limiter = SourceRateLimiter(rate: 0)
        #expect((0..<10_000).allSatisfy { _ in limiter.admits(source, at: 0) })
        #expect(limiter.trackedSources == 0)
    }

    @Test func aFloodOfSourcesNeverGrowsTheTable() {
        var limiter = SourceRateLimiter(rate: 5, maximumSources: 100)
        for index in 0..<10_000 {
            _ = limiter.admits(
                HostAddress(ipv4: 10, UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF), 1), at: UInt64(index))
            #expect(limiter.trackedSources <= 100)
        }
    }

    @Test func aRealSenderIsNeverLimited() {
        // fence_kdump_send -i 1: one message a second for an hour.
        var limiter = SourceRateLimiter(rate: 100)
        #expect((0..<3600).allSatisfy { limiter.admits(source, at: UInt64($0) * second) })
    }
}
