import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire
import Testing

@testable import KdumpWatchDaemon

@Suite struct HostReportConversionTests {
    @Test func aRowBecomesTheShapeStatusJSONPromises() {
        let entry = HostEntry(
            address: HostAddress("::ffff:10.0.0.1")!, node: "alpha",
            firstSeen: WallClockTime(nanosecondsSinceEpoch: 0),
            lastSeen: WallClockTime(nanosecondsSinceEpoch: 1_000_000_000), lastSeenMonotonic: nil, messages: 2)
        let report = HostReport(HostStatus(entry: entry, state: .dumping, age: .milliseconds(1_234_567)))
        #expect(
            report
                == HostReport(
                    address: "10.0.0.1", node: "alpha", state: .dumping, firstSeen: "1970-01-01T00:00:00.000Z",
                    lastSeen: "1970-01-01T00:00:01.000Z", messages: 2, lastSeenAgeSeconds: 1234.567))
        let unknownAge = HostReport(HostStatus(entry: entry, state: .finished, age: nil))
        #expect(unknownAge.state == .finished && unknownAge.lastSeenAgeSeconds == nil)
    }
}
