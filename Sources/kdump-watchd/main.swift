import ArgumentParser
import Glibc
import KdumpConfiguration
import KdumpWatchDaemon

/// `kdump-watchd`: parses the command line and runs the daemon.
struct KdumpWatchd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kdump-watchd",
        abstract: "Record kdump capture kernels' fence_kdump messages and answer fence agents.",
        discussion: ConfigurationParser.flagsHelp + """

            Exit status: 0 after a graceful shutdown, 1 when it cannot start, 2 for a bad option \
            or configuration.
            """,
        version: Daemon.version)

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "Configuration file (default: \(DaemonConfiguration.defaultPath), if present).", valueName: "path"))
    var config: String?
    /// Every key flag (`--state-dir PATH`), read by the configuration's own table of keys.
    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp("Configuration keys as options, listed below.", valueName: "--key value"))
    var settings: [String] = []

    func run() async throws {
        do {
            let daemon = Daemon(
                configPath: config, overrides: try ConfigurationParser.overrides(fromArguments: settings))
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
