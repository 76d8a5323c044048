import KdumpWatchCtl
import Testing

@Suite struct HumanFormatTests {
    @Test(arguments: [(0.4, "0s ago"), (12, "12s ago"), (65, "1m05s ago"), (7322, "2h02m ago"), (90_000, "1d01h ago")])
    func formatsAges(seconds: Double, expected: String) {
        #expect(HumanFormat.age(seconds) == expected)
    }

    @Test func unknownAges() {
        #expect(HumanFormat.age(nil) == "unknown")
    }

    @Test func alignsColumns() {
        #expect(HumanFormat.table([["A", "BB", "C"], ["long", "x", "y"]]) == "A     BB  C\nlong  x   y")
    }
}
