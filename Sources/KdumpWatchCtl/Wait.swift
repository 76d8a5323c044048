import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until one of the hosts is confirmed in kdump, as a fence agent would.",
        discussion: "Exits 0 when a valid message confirms, 1 at the timeout.")

    @OptionGroup var connection: SocketOption
    @Option(help: ArgumentHelp("Give up after this many seconds.", valueName: "seconds")) var timeout: Double = 60
    @Option(
        name: .customLong("max-age"),
        help: ArgumentHelp(
            "Accept messages up to this many seconds older than the request (default: the daemon's max_age; 0: only new ones).",
            valueName: "seconds"))
    var maxAge: Double?
    @Argument(help: "Node names or addresses; any one confirms.") var hosts: [String]

    func validate() throws {
        guard !hosts.isEmpty else { throw ValidationError("name at least one host") }
        guard timeout >= 0, timeout <= ControlRequest.maximumSeconds else {
            throw ValidationError("--timeout must be from 0 to \(Int(ControlRequest.maximumSeconds)) seconds")
        }
        if let maxAge, !(maxAge >= 0 && maxAge <= ControlRequest.maximumSeconds) {
            throw ValidationError("--max-age must be from 0 to \(Int(ControlRequest.maximumSeconds)) seconds")
        }
    }

    func run() throws {
        let request = ControlRequest(op: .wait, targets: hosts, timeout: timeout, maxAge: maxAge)
        let report = try connection.call(request, WaitReport.self, timeout: .seconds(timeout + 10))
        switch report.result {
        case .confirmed:
            let host = report.host
            print(
                "\(report.target ?? host?.address ?? "?"): in kdump since \(host?.firstSeen ?? "?") (message from \(host?.address ?? "?") \(HumanFormat.age(host?.lastSeenAgeSeconds)))"
            )
        case .timeout:
            print(
                "timeout after \(timeout.plainText) seconds: no message from \(hosts.joined(separator: ", "))"
            )
            throw ExitCode(Status.negative.rawValue)
        }
    }
}
