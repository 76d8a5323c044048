import Foundation
import Glibc
import Testing

/// `fence_kdump_watch` driven by the real Pacemaker fencer (`pacemaker-fenced -s`) through
/// `stonith_admin`, exactly as a cluster drives it. Serialized: only one fencer can run.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PacemakerInteropTests {
    static let fencer = "/usr/lib/pacemaker/pacemaker-fenced"
    static let agentLink = "/usr/sbin/fence_kdump_watch"

    /// Puts our agent where Pacemaker and pcs look for agents (/usr/sbin); leaves anything that
    /// is not a test's link alone. ``removeAgent()`` undoes it.
    static func installAgent(at link: String = agentLink) throws {
        let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: link)
        let present = existing != nil || FileManager.default.fileExists(atPath: link)
        try #require(
            !present || existing.map(isTestLink) == true,
            "\(link) is there and is not a test's link to a built agent: remove it to run this test")
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(
            atPath: link, withDestinationPath: Build.path("fence_kdump_watch"))
    }

    static func removeAgent() { try? FileManager.default.removeItem(atPath: agentLink) }

    /// A link into some checkout's build directory is what this test or the e2e scripts make;
    /// a run that was killed (a CI job stopped mid-test) leaves it behind, and the next run
    /// replaces it. A package installs a file, never such a link, and that stays untouched.
    static func isTestLink(_ destination: String) -> Bool {
        destination.hasPrefix("/") && destination.contains("/.build")
            && destination.hasSuffix("/fence_kdump_watch")
    }

    @Test(.enabled(if: Privileges.isRoot, "pacemaker-fenced runs as root"))
    func pacemakerFencesDumpingNodesAndNotSilentOnes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.fencer), "Debian's pacemaker is not installed")
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }

        try Self.installAgent()
        defer { Self.removeAgent() }

        let log = daemon.directory + "/fenced.log"
        let fencer = try BackgroundProcess(Self.fencer, ["-s", "-l", log])
        defer {
            fencer.process.terminate()
            _ = fencer.finish()
        }
        #expect(eventually(20) { (try? run("/usr/sbin/stonith_admin", ["-L"], timeout: 10))?.status == 0 })

        let register = try run(
            "/usr/sbin/stonith_admin",
            [
                "-R", "kdump", "-a", "fence_kdump_watch",
                "-o", "socket=\(daemon.socket)", "-o", "fallback=none", "-o", "timeout=3", "-o",
                "ipport=\(daemon.port)",
                "-o", "pcmk_host_map=node2:127.0.0.2;node3:127.0.0.3;node4:127.0.0.4",
                "-o", "pcmk_host_argument=nodename", "-o", "pcmk_off_retries=1", "-o", "pcmk_action_limit=-1",
            ], timeout: 30)
        #expect(register.status == 0, "\(register)")

        // The device's monitor runs the agent's real health check.
        let query = try run("/usr/sbin/stonith_admin", ["-Q", "kdump", "-t", "20"], timeout: 30)
        #expect(query.status == 0, "\(query)")

        // A node that is dumping is fenced, at once.
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        let dumping = try run("/usr/sbin/stonith_admin", ["-F", "node2", "-t", "20"], timeout: 60)
        #expect(dumping.status == 0, "\(dumping)")

        // A silent node is not.
        let silent = try run("/usr/sbin/stonith_admin", ["-F", "node3", "-t", "20"], timeout: 60)
        #expect(silent.status != 0, "\(silent)")

        // Two dumping nodes fenced at the same time both succeed.
        try UDP.send(UDP.valid, from: "127.0.0.4", port: daemon.port)
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.4") != nil })
        let first = try BackgroundProcess("/usr/sbin/stonith_admin", ["-F", "node2", "-t", "20"])
        let second = try BackgroundProcess("/usr/sbin/stonith_admin", ["-F", "node4", "-t", "20"])
        let results = [first.finish(), second.finish()]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results)")

        let fencerLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(fencerLog.contains("received valid message from '127.0.0.2'"))
        #expect(fencerLog.contains("received valid message from '127.0.0.4'"))
        #expect(fencerLog.contains("timeout after 3 seconds"))
    }

    @Test func aLinkAKilledRunLeftIsReplacedAndAnInstalledAgentIsNot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let leftover = directory.path + "/leftover"
        try FileManager.default.createSymbolicLink(
            atPath: leftover, withDestinationPath: "/tmp/gone/main/.build/debug/fence_kdump_watch")
        try Self.installAgent(at: leftover)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: leftover) == Build.path("fence_kdump_watch"))

        let installed = directory.path + "/installed"
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: installed))
        withKnownIssue("a package's agent is never replaced") { try Self.installAgent(at: installed) }
        #expect(try String(contentsOfFile: installed, encoding: .utf8) == "#!/bin/sh\n")

        let foreign = directory.path + "/foreign"
        try FileManager.default.createSymbolicLink(
            atPath: foreign, withDestinationPath: "/opt/agents/fence_kdump_watch")
        withKnownIssue("a link to anything but a build is never replaced") { try Self.installAgent(at: foreign) }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: foreign) == "/opt/agents/fence_kdump_watch")
    }
}
