import KdumpDecision
import Testing

@Suite struct WallClockTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_795_305_708_761_769_041), "2026-11-22T00:01:48.761Z"),
        (Int64(951_782_400_123_000_000), "2000-02-29T00:00:00.123Z"),
        (Int64(-1_000_000), "1969-12-31T23:59:59.999Z"),
        (Int64(4_107_542_399_999_000_000), "2100-02-28T23:59:59.999Z"),
        // The ends of the range (a state file may hold any 64-bit value).
        (Int64.max, "2262-04-11T23:47:16.854Z"),
        (Int64.min, "1677-09-21T00:12:43.145Z"),
        (Int64(10_000_000), "1970-01-01T00:00:00.010Z"),
    ])
    func formatsRFC3339(nanoseconds: Int64, expected: String) {
        #expect(WallClockTime(nanosecondsSinceEpoch: nanoseconds).rfc3339 == expected)
    }
}
