import ArgumentParser
import Glibc
import KdumpWatchDaemon

/// `kdump-watchd`: parses the command line and runs the daemon.
struct KdumpWatchd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kdump-watchd",
        abstract: "Record kdump capture kernels' fence_kdump messages and answer fence agents.",
        discussion: """
            Every key of kdump-watchd.conf(5) is also an option; options win over the file.
            Exit status: 0 after a graceful shutdown, 1 when it cannot start, 2 for a bad option \
            or configuration.
            """,
        version: Daemon.version)

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("Configuration file (default: \(Daemon.defaultConfigPath), if present).", valueName: "path"))
    var config: String?
    @Option(help: ArgumentHelp("UDP listen addresses (default: :: dual-stack).", valueName: "addresses"))
    var listen: String?
    @Option(help: ArgumentHelp("UDP port (default: 7410).", valueName: "port"))
    var port: String?
    @Option(name: .customLong("control-socket"), help: ArgumentHelp("Control socket path.", valueName: "path"))
    var controlSocket: String?
    @Option(
        name: .customLong("control-group"),
        help: ArgumentHelp("Group allowed on the control socket (default: haclient if it exists).", valueName: "group"))
    var controlGroup: String?
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("State directory (default: /var/lib/kdump-watch).", valueName: "path"))
    var stateDir: String?
    @Option(help: ArgumentHelp("Cluster nodes: 'name[=addr,addr] ...' or 'corosync[:path]'.", valueName: "nodes"))
    var nodes: String?
    @Option(help: ArgumentHelp("Accepted senders: addresses, CIDR blocks, 'nodes' (default: any).", valueName: "list"))
    var allow: String?
    @Option(
        name: .customLong("finished-after"),
        help: ArgumentHelp("Silence after which an episode is finished (default: 30s).", valueName: "duration"))
    var finishedAfter: String?
    @Option(help: ArgumentHelp("How long finished entries are kept (default: 24h).", valueName: "duration"))
    var retain: String?
    @Option(
        name: .customLong("max-age"),
        help: ArgumentHelp("Default max_age of waits (default: 30s).", valueName: "duration"))
    var maxAge: String?
    @Option(
        name: .customLong("max-hosts"),
        help: ArgumentHelp("Most entries in the state table (default: 4096).", valueName: "n"))
    var maxHosts: String?
    @Option(
        name: .customLong("max-clients"),
        help: ArgumentHelp("Most control clients at once (default: 128).", valueName: "n"))
    var maxClients: String?
    @Option(
        name: .customLong("rate-limit"),
        help: ArgumentHelp("Datagrams a second accepted from one sender; 0: no limit (default: 100).", valueName: "n"))
    var rateLimit: String?
    @Option(
        name: .customLong("client-idle-timeout"),
        help: ArgumentHelp("Time a control client has to send a request (default: 30s).", valueName: "duration"))
    var clientIdleTimeout: String?
    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical (default: info).", valueName: "level"))
    var logLevel: String?

    var overrides: [(key: String, value: String)] {
        let values: [(String, String?)] = [
            ("listen", listen), ("port", port), ("control_socket", controlSocket),
            ("control_group", controlGroup), ("state_dir", stateDir), ("nodes", nodes), ("allow", allow),
            ("finished_after", finishedAfter), ("retain", retain), ("max_age", maxAge),
            ("max_hosts", maxHosts), ("max_clients", maxClients),
            ("client_idle_timeout", clientIdleTimeout), ("rate_limit", rateLimit), ("log_level", logLevel),
        ]
        return values.compactMap { key, value in value.map { (key, $0) } }
    }

    func run() async throws {
        let daemon = Daemon(configPath: config, overrides: overrides)
        do {
            try await daemon.run()
        } catch let error as ConfigurationError {
            fail("kdump-watchd: \(error)", status: 2)
        } catch {
            fail("kdump-watchd: \(error)", status: 1)
        }
    }

    private func fail(_ message: String, status: Int32) -> Never {
        writeStandardError(message)
        Glibc.exit(status)
    }
}

func writeStandardError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}

MemoryAllocator.configureForDaemon()
do {
    var command = try KdumpWatchd.parseAsRoot()
    if let daemonCommand = command as? KdumpWatchd {
        try await daemonCommand.run()
    } else {
        try command.run()
    }
    Glibc.exit(0)
} catch {
    let code = KdumpWatchd.exitCode(for: error)
    let message = KdumpWatchd.fullMessage(for: error)
    if code == .success {
        print(message)
        exit(0)
    }
    writeStandardError(message)
    exit(2)
}
