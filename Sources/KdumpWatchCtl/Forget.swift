import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove hosts from the table (e.g. after a node was repaired).",
        discussion: "Exits 1 when none of the hosts was in the table.")

    @OptionGroup var connection: SocketOption
    @Argument(help: "Node names or addresses.") var hosts: [String]

    func validate() throws {
        guard !hosts.isEmpty else { throw ValidationError("name at least one host") }
    }

    func run() throws {
        let report = try connection.call(ControlRequest(op: .forget, hosts: hosts), ForgetReport.self)
        if report.forgotten.isEmpty {
            print("\(hosts.joined(separator: ", ")): not in the table")
            throw ExitCode(Status.negative.rawValue)
        }
        for host in report.forgotten {
            print("forgot \(host.node.map { "\($0) (\(host.address))" } ?? host.address)")
        }
    }
}
