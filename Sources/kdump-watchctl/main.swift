import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpState

/// Exit statuses of `kdump-watchctl` (kdump-watchctl(8)).
enum Status: Int32 {
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

struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kdump-watchctl",
        abstract: "Query and control kdump-watchd.",
        discussion: "Exit status: 0 success, 1 negative answer (not in kdump, timeout), 2 usage, 3 daemon unreachable.",
        version: "0.1.0",
        subcommands: [StatusCommand.self, Watch.self, Wait.self, Forget.self, Metrics.self, Health.self])
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
        } else if report.hosts.isEmpty {
            print(
                hosts.isEmpty
                    ? "no host has sent a fence_kdump message"
                    : "none of \(hosts.joined(separator: ", ")) has sent a fence_kdump message")
        } else {
            var rows = [["HOST", "ADDRESS", "STATE", "SINCE", "LAST SEEN", "MESSAGES"]]
            for host in report.hosts {
                rows.append([
                    host.node ?? "-", host.address, host.state.rawValue, host.firstSeen,
                    HumanFormat.age(host.lastSeenAgeSeconds), String(host.messages),
                ])
            }
            print(HumanFormat.table(rows))
            let invalid = report.invalid.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            if !invalid.isEmpty {
                print("invalid datagrams: " + invalid.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
        if !hosts.isEmpty {
            // Every named host must have a dumping entry; a name may own several addresses.
            let dumping = report.hosts.filter { $0.state == .dumping }
            let allDumping = hosts.allSatisfy { name in dumping.contains { $0.node == name || $0.address == name } }
            if !allDumping { throw ExitCode(Status.negative.rawValue) }
        }
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
            return
                "\(event.time)  \(event.event)  \(name)  state=\(host.state.rawValue) messages=\(host.messages) since=\(host.firstSeen)"
        }
        return "\(event.time)  \(event.event)  \(event.source ?? "?")  reason=\(event.reason ?? "?")"
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
                "timeout after \(HumanFormat.number(timeout)) seconds: no message from \(hosts.joined(separator: ", "))"
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
        print(
            "hosts: \(report.hostsDumping) dumping, \(report.hostsFinished) finished; waits in flight: \(report.waitsInFlight); control clients: \(report.controlClients)"
        )
        print("state file: \(report.stateWritable ? "writable" : "NOT WRITABLE (answering from memory)")")
    }
}

func writeStandardError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}

// Parse errors exit 2 (not ArgumentParser's 64); run-time outcomes use `Status`.
/// `--socket` is accepted before the subcommand too (`kdump-watchctl --socket P status`):
/// moved behind the subcommand name, where ArgumentParser looks for it.
func reorderedArguments(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var rest = arguments[...]
    while let first = rest.first {
        if first == "--socket", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--socket=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    guard !leading.isEmpty, let subcommand = rest.first else { return arguments }
    return [subcommand] + leading + rest.dropFirst()
}

// A blocked signal mask survives exec; start from an empty one so SIGTERM and SIGINT end
// `watch` and `wait` even when the parent (a test runner, a supervisor) had them blocked.
var emptySignalSet = sigset_t()
sigemptyset(&emptySignalSet)
sigprocmask(SIG_SETMASK, &emptySignalSet, nil)

do {
    var command = try Ctl.parseAsRoot(reorderedArguments(Array(CommandLine.arguments.dropFirst())))
    try command.run()
    exit(0)
} catch let failure as Failure {
    writeStandardError(failure.message)
    exit(failure.status.rawValue)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    // Help, version and every parse error: ArgumentParser's message, with exit 0 or 2 (not 64).
    let message = Ctl.fullMessage(for: error)
    if Ctl.exitCode(for: error) == .success {
        print(message)
        exit(0)
    }
    writeStandardError(message)
    exit(Status.usage.rawValue)
}
