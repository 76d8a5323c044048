import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

public struct Ctl: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "kdump-watchctl",
        abstract: "Query and control kdump-watchd.",
        discussion: "Exit status: 0 success, 1 negative answer (not in kdump, timeout), 2 usage, 3 daemon unreachable.",
        version: "0.1.0",
        subcommands: [
            StatusCommand.self, Watch.self, Wait.self, Forget.self, Metrics.self, Health.self, Check.self, Keygen.self,
        ])
}
