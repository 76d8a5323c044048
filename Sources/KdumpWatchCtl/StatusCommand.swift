import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the hosts that sent fence_kdump messages.",
        discussion: "With HOST arguments, exits 1 unless every named host is dumping.")

    @OptionGroup var connection: SocketOption
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Argument(help: "Node names or addresses to show (default: all).") var hosts: [String] = []

    func run() throws {
        let report = try connection.call(
            ControlRequest(op: .status, hosts: hosts.isEmpty ? nil : hosts), StatusReport.self)
        if json {
            printJSON(report)
        } else {
            print(Self.text(for: report, asked: hosts))
        }
        if !hosts.isEmpty && !Self.allDumping(hosts, in: report) { throw ExitCode(Status.negative.rawValue) }
    }

    /// What `status` prints without `--json`: an aligned table and the invalid-datagram counts
    /// that are not zero, or one line saying that nobody sent anything.
    static func text(for report: StatusReport, asked hosts: [String]) -> String {
        if report.hosts.isEmpty {
            return hosts.isEmpty
                ? "no host has sent a fence_kdump message"
                : "none of \(hosts.joined(separator: ", ")) has sent a fence_kdump message"
        }
        var rows = [["HOST", "ADDRESS", "STATE", "PHASE", "SIGNED", "SINCE", "LAST SEEN", "MESSAGES"]]
        for host in report.hosts {
            rows.append([
                host.node ?? "-", host.address, host.state.rawValue, host.phase ?? "-", host.auth ? "yes" : "no",
                host.firstSeen, HumanFormat.age(host.lastSeenAgeSeconds), String(host.messages),
            ])
        }
        var text = HumanFormat.table(rows)
        let invalid = report.invalid.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !invalid.isEmpty {
            text += "\ninvalid datagrams: " + invalid.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        return text
    }

    /// Whether every named host has a dumping entry; a name may own several addresses, and a
    /// host may be named by its address.
    static func allDumping(_ hosts: [String], in report: StatusReport) -> Bool {
        let dumping = report.hosts.filter { $0.state == .dumping }
        return hosts.allSatisfy { name in dumping.contains { $0.node == name || $0.address == name } }
    }
}
