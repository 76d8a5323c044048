import Foundation
import Glibc
import Testing

/// `kdump-watch-send` against the real upstream `fence_kdump`, our daemon, and the real resolver.
@Suite(.timeLimit(.minutes(2)))
struct SenderIntegrationTests {
    let sender = Build.sender

    @Test func theRealUpstreamFenceKdumpAcceptsOurSender() throws {
        let upstreamAgent = try #require(
            Reference.agent, "upstream fence_kdump (scripts/reference-agents.sh)")
        let port = try TestPorts.udp()
        let agent = try BackgroundProcess(upstreamAgent, ["-n", "127.0.0.1", "-p", "\(port)", "-t", "15", "-v"])
        let ours = try BackgroundProcess(sender, ["-p", "\(port)", "-c", "12", "-i", "1", "127.0.0.1"])
        let result = agent.finish()
        ours.process.terminate()
        _ = ours.finish()
        #expect(result.status == 0, "\(result)")
        // Upstream prints its verbose lines on stdout.
        #expect((result.stdout + result.stderr).contains("received valid message from '127.0.0.1'"))
    }

    @Test func ourDaemonAcceptsItOverIPv4AndIPv6() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let v4 = try run(sender, ["-p", "\(daemon.port)", "-c", "1", "127.0.0.1"])
        let v6 = try run(sender, ["-p", "\(daemon.port)", "-c", "1", "-f", "ipv6", "::1"])
        #expect(v4.status == 0 && v6.status == 0)
        #expect(try eventually { try daemon.host("127.0.0.1") != nil && daemon.host("::1") != nil })
        #expect((try daemon.statusJSON()["invalid"] as? [String: Int])?.values.reduce(0, +) == 0)
    }

    @Test func countAndIntervalAreHonoured() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let started = Date()
        let result = try run(sender, ["-p", "\(daemon.port)", "-c", "3", "-i", "1", "-v", "127.0.0.1"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0)
        #expect(result.stderr.components(separatedBy: "message sent to node '127.0.0.1'").count - 1 == 3)
        #expect(elapsed >= 2, "three rounds one second apart take at least two seconds")
        #expect(try eventually { try daemon.host("127.0.0.1")?["messages"] as? Int == 3 })
    }

    /// Killing the sender is how a capture kernel stops it; a pipe on stderr whose reader has
    /// gone is not a reason to stop (it ignores SIGPIPE before it writes a line there).
    @Test func aClosedPipeOnStderrDoesNotStopIt() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        close(ends[0])
        // -v: a line on stderr after every datagram, the first of them before the second datagram.
        let child = try ChildProcess(
            sender, ["-p", "\(daemon.port)", "-c", "2", "-i", "1", "-v", "127.0.0.1"], stdout: "/dev/null",
            stderr: "/dev/null", stderrDescriptor: ends[1])
        close(ends[1])
        #expect(child.terminationStatus == 0)
        #expect(try eventually { try daemon.host("127.0.0.1")?["messages"] as? Int == 2 })
    }

    @Test func usageErrorsExitOneLikeUpstream() throws {
        for arguments in [[], ["-p", "abc", "n"], ["-i", "0", "n"], ["-f", "ipx", "n"], ["-x", "n"]] {
            let result = try run(sender, arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.hasPrefix("[error]: "), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("Usage: kdump-watch-send"))
        }
        let help = try run(sender, ["-h"])
        #expect(help.status == 0 && help.stdout.contains("--interval=INTERVAL"))
        #expect(try run(sender, ["-V"]).stdout.hasPrefix("kdump-watch-send "))
    }

    @Test(.enabled(if: Privileges.rootWith("/usr/bin/unshare"), "needs root and unshare"))
    func aNameThatResolvesLaterIsPickedUpWithTheRealResolver() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        // A private /etc/hosts in a mount namespace of the sender's own: the machine's resolver
        // is untouched. glibc reads the hosts file on every lookup.
        let hosts = daemon.directory + "/hosts"
        try (String(contentsOfFile: "/etc/hosts", encoding: .utf8) + "\n").write(
            toFile: hosts, atomically: true, encoding: .utf8)
        let script = "mount --bind \"$1\" /etc/hosts && exec \"$2\" -p \"$3\" -c 6 -i 1 -v kdump-watch-late-node"
        let process = try BackgroundProcess(
            "/usr/bin/unshare", ["--mount", "/bin/sh", "-c", script, "sh", hosts, sender, "\(daemon.port)"])
        usleep(1_500_000)
        #expect(try daemon.hosts().isEmpty)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hosts))
        handle.seekToEndOfFile()
        handle.write(Data("127.0.0.1 kdump-watch-late-node\n".utf8))
        try handle.close()
        let result = process.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.components(separatedBy: "failed to get node 'kdump-watch-late-node'").count - 1 == 1)
        #expect(result.stderr.contains("node 'kdump-watch-late-node' resolves now"))
        #expect(try eventually { (try daemon.host("127.0.0.1")?["messages"] as? Int ?? 0) >= 1 })
    }
}
