import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

/// Exit statuses of `kdump-watchctl` (kdump-watchctl(8)).
public enum Status: Int32, Sendable {
    case success = 0
    case negative = 1
    case usage = 2
    case unreachable = 3
}

/// A failure that ends the command with `status` after printing `message` on stderr.
struct Failure: Error {
    var status: Status
    var message: String
}

struct SocketOption: ParsableArguments {
    @Option(
        help: ArgumentHelp("Control socket of kdump-watchd (default: \(ControlSocketPath.system)).", valueName: "path"))
    var socket: String?

    func connect() throws -> ControlClient {
        do {
            return try ControlClient(path: socket ?? ControlSocketPath.forClient())
        } catch {
            throw Failure(status: .unreachable, message: "kdump-watchctl: \(error)")
        }
    }

    func call<Payload: ControlPayload>(
        _ request: ControlRequest, _ type: Payload.Type, timeout: Duration? = .seconds(30)
    ) throws -> Payload {
        let client = try connect()
        do {
            return try client.call(request, expecting: type, timeout: timeout)
        } catch {
            throw Failure(status: Self.status(for: error), message: "kdump-watchctl: \(error)")
        }
    }

    static func status(for error: ControlClientError) -> Status {
        switch error {
        case .unreachable: .unreachable
        case .daemon(let protocolError):
            switch protocolError.code {
            case .badRequest, .unresolvable, .unsupportedVersion, .requestTooLarge: .usage
            case .permissionDenied, .tooManyClients, .shuttingDown: .unreachable
            case .idleTimeout, .internalError: .negative
            }
        case .protocolFailure: .unreachable
        }
    }
}

func printJSON(_ value: some JSONObjectWritable) {
    print(String(decoding: ControlCoding.line(value).dropLast(), as: UTF8.self))
}

public struct Ctl: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "kdump-watchctl",
        abstract: "Query and control kdump-watchd.",
        discussion: "Exit status: 0 success, 1 negative answer (not in kdump, timeout), 2 usage, 3 daemon unreachable.",
        version: "0.1.0",
        subcommands: [
            StatusCommand.self, Watch.self, Wait.self, Forget.self, Metrics.self, Health.self, Keygen.self,
        ])
}

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

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print events as they happen: new episodes, messages, finished episodes, invalid datagrams.")

    @OptionGroup var connection: SocketOption
    @Flag(help: "Print each event as one JSON object per line.") var json = false

    func run() throws {
        let client = try connection.connect()
        do {
            try client.send(ControlRequest(op: .watch))
            guard let first = try client.readLine() else {
                throw ControlClientError.protocolFailure("connection closed")
            }
            _ = try ControlClient.decodeResponse(first, as: EmptyPayload.self)
            while let line = try client.readLine() {
                if json {
                    print(String(decoding: line, as: UTF8.self))
                } else if let event = try? ControlCoding.decode(WatchEvent.self, from: line) {
                    print(Self.describe(event))
                }
                fflush(nil)
            }
        } catch let error as ControlClientError {
            throw Failure(status: SocketOption.status(for: error), message: "kdump-watchctl: \(error)")
        }
        throw Failure(status: .unreachable, message: "kdump-watchctl: kdump-watchd closed the connection")
    }

    static func describe(_ event: WatchEvent) -> String {
        if let host = event.host {
            let name = host.node.map { "\($0) (\(host.address))" } ?? host.address
            let signed = host.auth ? " signed phase=\(host.phase ?? "?")" : ""
            return
                "\(event.time)  \(event.event)  \(name)  state=\(host.state.rawValue) messages=\(host.messages) since=\(host.firstSeen)\(signed)"
        }
        let count = event.count.map { " count=\($0)" } ?? ""
        return "\(event.time)  \(event.event)  \(event.source ?? "?")  reason=\(event.reason ?? "?")\(count)"
    }
}

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

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's metrics (Prometheus text format).")
    @OptionGroup var connection: SocketOption

    func run() throws {
        print(try connection.call(ControlRequest(op: .metrics), MetricsReport.self).text, terminator: "")
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the daemon answers and show what it holds.")
    @OptionGroup var connection: SocketOption
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let report = try connection.call(ControlRequest(op: .health), HealthReport.self)
        if json {
            printJSON(report)
            return
        }
        let udp = report.udp.map(\.description)
        print("kdump-watchd \(report.version) (pid \(report.pid)) up \(Int(report.uptimeSeconds))s")
        print("udp: \(udp.isEmpty ? "none" : udp.joined(separator: " "))")
        if let metrics = report.metrics, !metrics.isEmpty {
            print("metrics: \(metrics.map { "http://\($0)/metrics" }.joined(separator: " "))")
        }
        print(
            "hosts: \(report.hostsDumping) dumping, \(report.hostsFinished) finished; waits in flight: \(report.waitsInFlight); control clients: \(report.controlClients)"
        )
        print("state file: \(report.stateWritable ? "writable" : "NOT WRITABLE (answering from memory)")")
        if let auth = report.auth {
            let cluster = report.clusterName.map { " (node keys of cluster '\($0)')" } ?? ""
            print("auth: \(auth)\(cluster)\(report.authKeyError.map { "; KEY FILE PROBLEM: \($0)" } ?? "")")
        }
    }
}
