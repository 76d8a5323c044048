import KdumpControl
import Testing

@testable import KdumpWatchCtl

@Suite struct CommandLineTests {
    @Test func socketBeforeTheSubcommandMovesBehindIt() {
        #expect(
            KdumpWatchctl.reorderedArguments(["--socket", "/s", "status", "a"]) == ["status", "--socket", "/s", "a"])
        #expect(KdumpWatchctl.reorderedArguments(["--socket=/s", "health"]) == ["health", "--socket=/s"])
        #expect(KdumpWatchctl.reorderedArguments(["status", "--socket", "/s"]) == ["status", "--socket", "/s"])
        #expect(KdumpWatchctl.reorderedArguments(["--socket", "/s"]) == ["--socket", "/s"])
    }

    @Test(arguments: [
        ["bogus"], ["wait"], ["wait", "a", "--timeout", "-1"], ["wait", "a", "--max-age", "x"], ["forget"],
        ["status", "--no-such-flag"],
    ])
    func usageErrorsExitTwo(arguments: [String]) async {
        #expect(await KdumpWatchctl.main(arguments: arguments + ["--socket", "/nonexistent/kw.sock"]) == 2)
    }

    @Test func anUnreachableDaemonExitsThree() async {
        for command in [["status"], ["health"], ["metrics"], ["wait", "a"], ["forget", "a"]] {
            #expect(await KdumpWatchctl.main(arguments: command + ["--socket", "/nonexistent/kw.sock"]) == 3)
        }
    }

    @Test func helpAndVersionExitZero() async {
        #expect(await KdumpWatchctl.main(arguments: ["--version"]) == 0)
        #expect(await KdumpWatchctl.main(arguments: ["status", "--help"]) == 0)
    }

    @Test func daemonErrorsMapToTheDocumentedStatuses() {
        func status(_ code: ControlErrorCode) -> Status {
            SocketOption.status(for: .daemon(ControlError(code, "x")))
        }
        #expect(status(.badRequest) == .usage)
        #expect(status(.unresolvable) == .usage)
        #expect(status(.permissionDenied) == .unreachable)
        #expect(status(.tooManyClients) == .unreachable)
        #expect(status(.shuttingDown) == .unreachable)
        #expect(status(.idleTimeout) == .negative)
        #expect(SocketOption.status(for: .unreachable(path: "/s", reason: "gone")) == .unreachable)
    }

    @Test func watchEventsReadAsOneLineEach() {
        let host = HostReport(
            address: "10.0.0.1", node: "alpha", state: .dumping, firstSeen: "T0", lastSeen: "T1", messages: 3,
            lastSeenAgeSeconds: 0)
        #expect(
            Watch.describe(WatchEvent(event: "message", host: host, reason: nil, source: nil, time: "T1"))
                == "T1  message  alpha (10.0.0.1)  state=dumping messages=3 since=T0")
        #expect(
            Watch.describe(WatchEvent(event: "invalid", host: nil, reason: "short", source: "10.0.0.9", time: "T2"))
                == "T2  invalid  10.0.0.9  reason=short")
        #expect(
            Watch.describe(
                WatchEvent(event: "invalid", host: nil, reason: "long", source: "10.0.0.9", time: "T3", count: 64))
                == "T3  invalid  10.0.0.9  reason=long count=64")
    }
}
