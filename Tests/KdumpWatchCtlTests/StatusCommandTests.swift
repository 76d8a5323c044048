import KdumpControl
import KdumpWire
import Testing

@testable import KdumpWatchCtl

@Suite struct StatusCommandTests {
    func host(
        _ address: String, node: String?, state: HostReport.State, age: Double?, phase: String? = nil
    ) -> HostReport {
        HostReport(
            address: address, node: node, state: state, firstSeen: "2026-12-02T09:00:00.000Z",
            lastSeen: "2026-12-02T09:05:00.000Z", messages: 61, lastSeenAgeSeconds: age, auth: phase != nil,
            phase: phase)
    }

    @Test func theTableIsAlignedAndNamesInvalidDatagramsThatHappened() {
        let report = StatusReport(
            hosts: [
                host("10.0.0.1", node: "alpha", state: .dumping, age: 3.2),
                host("fd00::22", node: nil, state: .finished, age: 4000),
                host("10.9.0.7", node: "gamma", state: .finished, age: 1, phase: "failed"),
            ], invalid: [.short: 2, .notAllowed: 1, .badMAC: 5])
        #expect(
            StatusCommand.text(for: report, asked: []) == """
                HOST   ADDRESS   STATE     PHASE   SIGNED  SINCE                     LAST SEEN  MESSAGES
                alpha  10.0.0.1  dumping   -       no      2026-12-02T09:00:00.000Z  3s ago     61
                -      fd00::22  finished  -       no      2026-12-02T09:00:00.000Z  1h06m ago  61
                gamma  10.9.0.7  finished  failed  yes     2026-12-02T09:00:00.000Z  1s ago     61
                invalid datagrams: bad_mac 5, not_allowed 1, short 2
                """)
    }

    @Test func anEmptyTableSaysSo() {
        let report = StatusReport(hosts: [], invalid: [:])
        #expect(StatusCommand.text(for: report, asked: []) == "no host has sent a fence_kdump message")
        #expect(
            StatusCommand.text(for: report, asked: ["a", "b"]) == "none of a, b has sent a fence_kdump message")
    }

    @Test func namedHostsMustAllBeDumpingByNameOrAddress() {
        let report = StatusReport(
            hosts: [
                host("10.0.0.1", node: "alpha", state: .dumping, age: 1),
                host("10.0.0.2", node: "beta", state: .finished, age: 100),
            ], invalid: [:])
        #expect(StatusCommand.allDumping(["alpha"], in: report))
        #expect(StatusCommand.allDumping(["10.0.0.1", "alpha"], in: report))
        #expect(!StatusCommand.allDumping(["alpha", "beta"], in: report))
        #expect(!StatusCommand.allDumping(["gamma"], in: report))
    }
}
