import Foundation
import Glibc
import Testing

/// `fence_kdump_watch` against a real daemon and real datagrams.
@Suite(.timeLimit(.minutes(2)))
struct FenceAgentIntegrationTests {
    func agent(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        guard let stdin else { return try run(Build.path("fence_kdump_watch"), arguments, timeout: 60) }
        let input = "/tmp/kdump-watch-agent-stdin-\(UUID().uuidString)"
        try stdin.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        return try run("/bin/sh", ["-c", "exec \"$0\" < \"$1\"", Build.path("fence_kdump_watch"), input], timeout: 60)
    }

    @Test func confirmsADumpingHostAtOnceAndReportsItInUpstreamWording() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        let result = try agent(["-n", "127.0.0.2", "-t", "5", "--socket", daemon.socket, "--fallback", "none"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("waiting for message from '127.0.0.2'"))
        #expect(result.stderr.contains("received valid message from '127.0.0.2'"))
    }

    @Test func timesOutForASilentHostAndForAMessageFromAnotherHost() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.3", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.3") != nil })
        let result = try agent(["-n", "127.0.0.2", "-t", "1", "--socket", daemon.socket, "--fallback", "none"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("timeout after 1 seconds"))
    }

    @Test func staleMessagesDoNotConfirm() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        usleep(1_200_000)
        let stale = try agent(["-n", "127.0.0.2", "-t", "1", "--max-age", "1", "--socket", daemon.socket])
        #expect(stale.status == 1, "\(stale)")
        let upstreamSemantics = try agent(["-n", "127.0.0.2", "-t", "1", "--max-age", "0", "--socket", daemon.socket])
        #expect(upstreamSemantics.status == 1)
        #expect(try agent(["-n", "127.0.0.2", "-t", "1", "--socket", daemon.socket]).status == 0)
    }

    @Test func rebootIsTreatedAsOffAndStdinIsReadWithoutArguments() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "::1", port: daemon.port)
        #expect(try eventually { try daemon.host("::1") != nil })
        let result = try agent(
            [],
            stdin:
                "action=reboot\nnodename=::1\nport=node9\nnodeid=9\nunknown_thing=1\ntimeout=3\nsocket=\(daemon.socket)\n"
        )
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("ignoring unknown parameter 'unknown_thing'"))
        let validate = try agent([], stdin: "action=validate-all\nnodename=::1\nunknown_thing=1\n")
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("unknown parameter 'unknown_thing'"))
    }

    @Test func aNodeWithSeveralAddressesIsConfirmedFromAnyOfThem() throws {
        let daemon = try DaemonUnderTest(["--nodes", "multi=127.0.0.8,127.0.0.9"])
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.9", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.9") != nil })
        #expect(try agent(["-n", "multi", "-t", "2", "--socket", daemon.socket]).status == 0)
        #expect(try agent(["-n", "127.0.0.7,127.0.0.9", "-t", "2", "--socket", daemon.socket]).status == 0)
    }

    @Test func monitorChecksTheDaemonAndItsPort() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        #expect(try agent(["-o", "monitor", "-p", "\(daemon.port)", "--socket", daemon.socket]).status == 0)
        let wrongPort = try agent([
            "-o", "monitor", "-p", "\(daemon.port == 7410 ? 7411 : 7410)", "--socket", daemon.socket,
        ])
        #expect(wrongPort.status == 1)
        #expect(wrongPort.stderr.contains("does not hold UDP port"))
        #expect(wrongPort.stderr.contains("(it listens on: [::]:\(daemon.port))"), "\(wrongPort.stderr)")
        daemon.stop()
        let down = try agent(["-o", "monitor", "-p", "\(daemon.port)", "--socket", daemon.socket])
        #expect(down.status == 1)
        #expect(down.stderr.contains("cannot reach kdump-watchd"))
    }

    @Test func validateAllChecksValuesAndResolution() throws {
        let daemon = try DaemonUnderTest(["--nodes", "alpha=127.0.0.2"])
        defer { daemon.remove() }
        #expect(try agent(["-o", "validate-all", "-n", "alpha", "--socket", daemon.socket]).status == 0)
        #expect(try agent(["-o", "validate-all", "-n", "localhost", "--socket", "/nonexistent.sock"]).status == 0)
        let unknown = try agent(["-o", "validate-all", "-n", "no-such-node.invalid", "--socket", daemon.socket])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("cannot resolve 'no-such-node.invalid'"))
        #expect(try agent(["-o", "validate-all", "-p", "0"]).status == 1)
    }

    @Test func withoutTheDaemonItListensItselfAndAcceptsTheRealUpstreamSender() throws {
        let sender = try #require(Reference.sender)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A daemon on built-in defaults (auth = none) admits version 1, and so does its fallback.
        let config = try FallbackAgent.writeConfiguration("", in: directory.path)
        var port = 0
        let result = try TestPorts.retryingBind { candidate in
            port = candidate
            let listener = try BackgroundProcess(
                Build.path("fence_kdump_watch"),
                [
                    "-n", "localhost", "-t", "20", "-p", "\(port)", "--socket", "/nonexistent/kw.sock", "--config",
                    config, "-v",
                ])
            // Upstream's sender repeats every second; the listener catches one once it is bound.
            let upstream = try BackgroundProcess(sender, ["-p", "\(port)", "-c", "10", "-i", "1", "127.0.0.1"])
            let result = listener.finish()
            upstream.process.terminate()
            _ = upstream.finish()
            return result
        }
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("listening on UDP port \(port) instead"))
        #expect(result.stderr.contains("received valid message from 'localhost'"))
    }

    @Test func theFallbackListenerRejectsInvalidAndForeignDatagrams() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try FallbackAgent.writeConfiguration("", in: directory.path)
        let agent = try FallbackAgent.start(["-n", "127.0.0.2", "-t", "3"], config: config)
        for _ in 0..<5 {
            try UDP.send(Array(UDP.valid.prefix(6)), from: "127.0.0.2", port: agent.port)
            try UDP.send(UDP.valid + [0, 0], from: "127.0.0.2", port: agent.port)
            try UDP.send([0x40, 0x2A, 0x30, 0x1B, 0, 0, 0, 1], from: "127.0.0.2", port: agent.port)
            try UDP.send(UDP.valid, from: "127.0.0.3", port: agent.port)
        }
        let result = agent.process.finish()
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("discarded invalid message from 127.0.0.2: short"))
        #expect(result.stderr.contains("discarded invalid message from 127.0.0.2: long"))
        #expect(result.stderr.contains("discarded invalid message from 127.0.0.2: bad_version"))
        #expect(result.stderr.contains("discarded message from 127.0.0.3"))
    }

    /// The fallback admits by kdump-watchd's configuration: where that cannot be read, it does
    /// not listen at all (Documentation/design.md §7).
    @Test func theFallbackFailsAtOnceWhenTheDaemonsConfigurationCannotBeUsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let readableKey = try TestCluster.writeKey(in: directory.path, name: "readable", mode: 0o644)
        let cases = [
            ("/nonexistent/kdump-watchd.conf", "cannot read configuration"),
            (try FallbackAgent.writeConfiguration("bogus_key = 1\n", in: directory.path), "unknown key 'bogus_key'"),
        ]
        for (config, reason) in cases {
            let started = Date()
            let result = try agent([
                "-n", "127.0.0.2", "-t", "30", "--socket", "/nonexistent/kw.sock", "--config", config,
            ])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("cannot listen instead") && result.stderr.contains(reason), "\(result)")
            #expect(!result.stderr.contains("listening on UDP port"))
            #expect(Date().timeIntervalSince(started) < 20, "at once, not after the timeout")
        }
        let keyConfig = try FallbackAgent.writeConfiguration("auth_key = \(readableKey)\n", in: directory.path)
        let refused = try agent([
            "-n", "127.0.0.2", "-t", "30", "--socket", "/nonexistent/kw.sock", "--config", keyConfig,
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("others may read or write it"), "\(refused)")
    }

    @Test func fallbackNoneFailsAtOnce() throws {
        let result = try agent([
            "-n", "127.0.0.2", "-t", "30", "--socket", "/nonexistent/kw.sock", "--fallback", "none",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach kdump-watchd at /nonexistent/kw.sock"))
        #expect(result.stderr.contains("fallback=none"))
    }

    @Test func badInputAlwaysEndsWithStatusOne() throws {
        for arguments in [["-o", "on"], ["--bogus"], ["-t", "x"], ["-n"], ["-o", "off"]] {
            let result = try agent(arguments + ["--socket", "/nonexistent/kw.sock", "--fallback", "none"])
            #expect(result.status == 1, "\(arguments): \(result)")
            #expect(result.stderr.split(separator: "\n").count <= 2, "one clear error line: \(result.stderr)")
        }
        let garbage = try agent(
            [], stdin: String(repeating: "\u{1}=\u{2}\n", count: 100) + "ipport=99999999999999999999\n")
        #expect(garbage.status == 1)
        #expect(try agent(["-h"]).status == 0)
        #expect(try agent(["-V"]).stdout.hasPrefix("fence_kdump_watch "))
    }

    @Test func metadataUsesTheInvokedName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let link = directory.path + "/fence_kdump"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Build.path("fence_kdump_watch"))
        let result = try run(link, ["-o", "metadata"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("<resource-agent name=\"fence_kdump\""))
    }
}
