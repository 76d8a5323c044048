import Foundation
import Glibc
import KdumpWire
import Testing

/// Where `swift build` put the executables: beside the test bundle.
enum Build {
    static let directory: String = {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("kdump-watchd").path), url.path != "/"
        {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The capture-kernel sender as it is installed: the Embedded Swift build (`make sender`),
    /// made once per test run; the debug build's `kdump-watch-send` is only its sources' unit
    /// test vehicle. A failed build leaves a path that does not exist, and every test that
    /// runs the sender fails saying so.
    static let sender: String = {
        let path = repository + "/.build-embedded/release/kdump-watch-send"
        let build = try? run("/usr/bin/make", ["-C", repository, "sender"], timeout: 900)
        if build?.status != 0 {
            FileHandle.standardError.write(Data("make sender failed: \(build.map { "\($0)" } ?? "")\n".utf8))
        }
        return path
    }()

    /// The repository's top directory.
    static let repository: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}

/// A finished process's exit status and output.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` to completion (ended by SIGTERM after `timeout`) and collects its output.
@discardableResult
func run(_ executable: String, _ arguments: [String], timeout: Double = 60, environment: [String: String]? = nil) throws
    -> ProcessResult
{
    let background = try BackgroundProcess(executable, arguments, environment: environment)
    let deadline = Date().addingTimeInterval(timeout)
    while background.process.isRunning && Date() < deadline { usleep(1000) }
    if background.process.isRunning { background.process.terminate() }
    return background.finish()
}

/// A temporary directory removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/kdump-watch-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: created)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A running `kdump-watchd` with its own port, socket and state directory.
final class DaemonUnderTest: @unchecked Sendable {
    let directory: String
    let stateDirectory: String
    let socket: String
    let logPath: String
    private(set) var process: ChildProcess?
    private(set) var port: Int = 0
    private let arguments: [String]

    /// A command that runs the daemon (its path and arguments are appended), e.g. in a mount
    /// namespace of its own; empty runs it directly.
    let launcher: [String]

    init(_ extraArguments: [String] = [], directory: String? = nil, launcher: [String] = []) throws {
        self.launcher = launcher
        let base = try directory ?? TemporaryDirectory().path
        self.directory = base
        stateDirectory = base + "/state"
        socket = base + "/control.sock"
        logPath = base + "/daemon.log"
        arguments =
            [
                "--port", "0", "--control-socket", socket, "--state-dir", stateDirectory, "--log-level", "debug",
                "--cluster-name", TestCluster.clusterName,
            ] + extraArguments
        try start()
    }

    /// Starts the daemon and waits until it answers `health`.
    func start() throws {
        let process =
            launcher.isEmpty
            ? try ChildProcess(Build.path("kdump-watchd"), arguments, stdout: logPath, stderr: logPath)
            : try ChildProcess(
                launcher[0], Array(launcher.dropFirst()) + [Build.path("kdump-watchd")] + arguments, stdout: logPath,
                stderr: logPath)
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if !process.isRunning { throw DaemonError(message: "kdump-watchd exited: \(log())") }
            if let health = try? ctl(["health", "--json"]), health.status == 0,
                let json = try? JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as? [String: Any],
                let udp = json["udp"] as? [[String: Any]], let port = udp.first?["port"] as? Int
            {
                self.port = port
                return
            }
            usleep(20_000)
        }
        throw DaemonError(message: "kdump-watchd did not become ready: \(log())")
    }

    func ctl(_ arguments: [String], timeout: Double = 60) throws -> ProcessResult {
        try run(Build.path("kdump-watchctl"), arguments + ["--socket", socket], timeout: timeout)
    }

    /// `kdump-watchctl SUBCOMMAND --json`, parsed.
    func json(_ subcommand: String) throws -> [String: Any] {
        let result = try ctl([subcommand, "--json"])
        guard result.status == 0,
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { throw DaemonError(message: "\(subcommand) failed: \(result)") }
        return json
    }

    func statusJSON() throws -> [String: Any] { try json("status") }

    func hosts() throws -> [[String: Any]] { try statusJSON()["hosts"] as? [[String: Any]] ?? [] }

    func host(_ address: String) throws -> [String: Any]? {
        try hosts().first { $0["address"] as? String == address }
    }

    /// The entry of `node` made by verified signed messages (protocol 2), if any.
    func signedHost(_ node: String) throws -> [String: Any]? {
        try hosts().first { $0["node"] as? String == node && $0["auth"] as? Bool == true }
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { process?.signal(number) }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        signal(SIGTERM)
        return process?.terminationStatus ?? -1
    }

    func kill9() {
        signal(SIGKILL)
        process?.waitUntilExit()
    }

    func remove() {
        kill9()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct DaemonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Sends UDP datagrams from a chosen loopback source address.
enum UDP {
    static let valid: [UInt8] = [0x40, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]
    static let validBigEndian: [UInt8] = [0x1B, 0x30, 0x2A, 0x40, 0x00, 0x00, 0x00, 0x01]

    static func send(_ bytes: [UInt8], from source: String, port: Int) throws {
        let v6 = source.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let bound = withInternetSocketAddress(source, port: 0) { bind(fd, $0, $1) }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // The daemon listens on every address: IPv6 senders send to themselves, IPv4 ones to 127.0.0.1.
        let sent = withInternetSocketAddress(v6 ? source : "127.0.0.1", port: port) {
            sendto(fd, bytes, bytes.count, 0, $0, $1)
        }
        guard sent == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

/// A raw connection to the control socket, for feeding it what `kdump-watchctl` never sends;
/// or (``init(host:port:)``) to the metrics endpoint, for what no HTTP client sends.
final class RawControlClient {
    let fd: Int32

    init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        let status = withUnixSocketAddress(path) { connect(fd, $0, $1) }
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// A TCP connection to a numeric IPv4 or IPv6 address on loopback.
    init(host: String, port: Int) throws {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        let status = withInternetSocketAddress(host, port: port) { connect(fd, $0, $1) }
        guard status == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            close(fd)
            throw POSIXError(code)
        }
    }

    /// Reads until the peer closes or `timeout` passes.
    func readAll(timeout: Double = 10) -> String {
        var collected: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            collected += buffer[..<count]
        }
        return String(decoding: collected, as: UTF8.self)
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) { Self.send(bytes, to: fd) }

    /// Writes all of `bytes` to `descriptor`, stopping quietly when the peer is gone; static so
    /// that another thread can write while this one reads.
    static func send(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Reads until a newline, end of stream or `timeout`; nil when nothing arrived.
    func readLine(timeout: Double = 5) -> String? {
        var collected: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            var byte: UInt8 = 0
            let count = recv(fd, &byte, 1, 0)
            if count <= 0 { break }
            if byte == 0x0A { return String(decoding: collected, as: UTF8.self) }
            collected.append(byte)
        }
        return collected.isEmpty ? nil : String(decoding: collected, as: UTF8.self)
    }

    /// Closes the sending side only (`shutdown(SHUT_WR)`), as `socat` does at the end of its input.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whether the daemon closed the connection within `timeout`.
    func isClosedByPeer(timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
        }
        return false
    }
}

/// Polls `condition` for up to `seconds`. A deadline for an event, never a timed assertion: a
/// condition that holds returns at once, so the default is generous enough that a loaded machine
/// (2 cores compiling beside the tests) cannot fail a test by being slow; 5 s once did.
func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// The upstream `fence_kdump` and `fence_kdump_send` from Debian's fence-agents.
enum Reference {
    static let tools: [String: String] = {
        var result: [String: String] = [:]
        if let agent = ProcessInfo.processInfo.environment["FENCE_KDUMP"],
            let sender = ProcessInfo.processInfo.environment["FENCE_KDUMP_SEND"]
        {
            return ["FENCE_KDUMP": agent, "FENCE_KDUMP_SEND": sender]
        }
        let script = Build.repository + "/scripts/reference-agents.sh"
        guard let output = try? run("/bin/sh", [script, Build.repository + "/.build-reference"], timeout: 300) else {
            return result
        }
        for line in output.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }()

    static var sender: String? {
        tools["FENCE_KDUMP_SEND"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }
    static var agent: String? {
        tools["FENCE_KDUMP"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }
}

/// A child process started with `posix_spawn`, an empty signal mask and default signal
/// dispositions.
///
/// Foundation's `Process` passes on the test runner's blocked signals, and a child that cannot
/// receive SIGCHLD or SIGTERM misbehaves (pacemaker-fenced never reaps its agents).
final class ChildProcess: @unchecked Sendable {
    let processIdentifier: pid_t
    private var status: Int32?

    /// Starts `executable` with stdin from /dev/null and stdout/stderr appended to the given files;
    /// stderr is `stderrDescriptor` instead when one is given.
    init(
        _ executable: String, _ arguments: [String], stdout: String, stderr: String,
        stderrDescriptor: Int32? = nil, environment: [String: String]? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let stderrDescriptor {
            posix_spawn_file_actions_adddup2(&actions, stderrDescriptor, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environmentList.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        processIdentifier = pid
    }

    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier {
            status = raw
            return false
        }
        return true
    }

    func signal(_ number: Int32) { if isRunning { kill(processIdentifier, number) } }
    func terminate() { signal(SIGTERM) }

    func waitUntilExit() {
        guard status == nil else { return }
        var raw: Int32 = 0
        while waitpid(processIdentifier, &raw, 0) < 0 && errno == EINTR {}
        status = raw
    }

    /// The exit status, or 128 + the signal that ended the process.
    var terminationStatus: Int32 {
        waitUntilExit()
        let raw = status ?? 0
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}

/// A process started in the background with its output going to temporary files.
final class BackgroundProcess: @unchecked Sendable {
    let process: ChildProcess
    private let outputPath: String
    private let errorPath: String

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let base = "/tmp/kdump-watch-test-\(UUID().uuidString)"
        outputPath = base + ".out"
        errorPath = base + ".err"
        process = try ChildProcess(
            executable, arguments, stdout: outputPath, stderr: errorPath, environment: environment)
    }

    /// Waits for the exit and returns the status and output.
    func finish() -> ProcessResult {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        return ProcessResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }

    /// What the process wrote to stdout so far.
    func currentOutput() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// What the process wrote to stderr so far.
    func currentError() -> String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
}

/// `host` (a numeric IPv4 or IPv6 address) and `port` as a `sockaddr`, for `body`.
func withInternetSocketAddress<Result>(
    _ host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
) -> Result {
    HostAddress(host)!.withSocketAddress(port: port, body)
}

func withUnixSocketAddress<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8.prefix(raw.count - 1))
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
