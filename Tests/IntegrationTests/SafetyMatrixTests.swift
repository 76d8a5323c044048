import Foundation
import Glibc
import Testing

/// The fence decision (Documentation/design.md §3) as a matrix: whatever arrives or happens, the real fence agent says "fenced" only for
/// a fresh, valid message from the host it asks about. Each row ends with `fence_kdump_watch`
/// answering (exit 1 = not confirmed); the first row shows that the same set-up does confirm.
/// Related rows elsewhere: a message from another host and stale episodes
/// (FenceAgentIntegrationTests), spoofed boot ids and clock jumps (KdumpStateTests).
@Suite(.timeLimit(.minutes(3)))
struct SafetyMatrixTests {
    static let valid = UDP.valid

    /// Asks the agent, with no fallback listener, whether `host` is fenced.
    func fence(_ host: String, _ daemon: DaemonUnderTest, timeout: Int = 1, maxAge: Int? = nil) throws
        -> ProcessResult
    {
        var arguments = ["-n", host, "-t", String(timeout), "--socket", daemon.socket, "--fallback", "none"]
        if let maxAge { arguments += ["--max-age", String(maxAge)] }
        return try run(Build.path("fence_kdump_watch"), arguments, timeout: 60)
    }

    func invalidCount(_ daemon: DaemonUnderTest) throws -> Int {
        (try daemon.statusJSON()["invalid"] as? [String: Int])?.values.reduce(0, +) ?? 0
    }

    @Test func theControlRowAValidFreshMessageConfirms() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(Self.valid, from: "127.0.5.1", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.5.1") != nil })
        #expect(try fence("127.0.5.1", daemon).status == 0)
    }

    static let invalidDatagrams: [(name: String, bytes: [UInt8])] = [
        ("empty", []),
        ("short", Array(valid.prefix(7))),
        ("long", valid + [0]),
        ("two messages in one datagram", valid + valid),
        ("little-endian magic, big-endian version", [0x40, 0x2A, 0x30, 0x1B, 0x00, 0x00, 0x00, 0x01]),
        ("big-endian magic, little-endian version", [0x1B, 0x30, 0x2A, 0x40, 0x01, 0x00, 0x00, 0x00]),
        ("version 2", [0x40, 0x2A, 0x30, 0x1B, 0x02, 0x00, 0x00, 0x00]),
        ("version 0", [0x40, 0x2A, 0x30, 0x1B, 0x00, 0x00, 0x00, 0x00]),
        ("magic off by one bit", [0x41, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]),
        ("zeros", [UInt8](repeating: 0, count: 8)),
    ]

    @Test(arguments: invalidDatagrams)
    func anInvalidDatagramNeverConfirms(_ name: String, _ bytes: [UInt8]) throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        for _ in 0..<3 { try UDP.send(bytes, from: "127.0.5.2", port: daemon.port) }
        #expect(try eventually { try invalidCount(daemon) == 3 }, "\(name)")
        #expect(try daemon.host("127.0.5.2") == nil, "\(name)")
        let answer = try fence("127.0.5.2", daemon)
        #expect(answer.status == 1, "\(name): \(answer)")
    }

    @Test func aValidMessageFromOutsideAllowNeverConfirms() throws {
        let daemon = try DaemonUnderTest(["--allow", "127.0.5.0/30"])
        defer { daemon.remove() }
        try UDP.send(Self.valid, from: "127.0.5.9", port: daemon.port)
        #expect(try eventually { (try daemon.statusJSON()["invalid"] as? [String: Int])?["not_allowed"] == 1 })
        #expect(try daemon.host("127.0.5.9") == nil)
        #expect(try fence("127.0.5.9", daemon).status == 1)
        // The same datagram from inside the allowed block does confirm.
        try UDP.send(Self.valid, from: "127.0.5.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.5.2") != nil })
        #expect(try fence("127.0.5.2", daemon).status == 0)
    }

    @Test func aRestartDuringAWaitNeverConfirmsAStaleEpisode() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(Self.valid, from: "127.0.5.3", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.5.3") != nil })
        let statePath = daemon.stateDirectory + "/state.json"
        #expect(eventually { (try? String(contentsOfFile: statePath, encoding: .utf8))?.contains("127.0.5.3") == true })
        usleep(1_500_000)  // Now older than the agent's max_age of 1 s.

        let waiting = try BackgroundProcess(
            Build.path("fence_kdump_watch"),
            ["-n", "127.0.5.3", "-t", "10", "--max-age", "1", "--socket", daemon.socket, "--fallback", "none"])
        #expect(try eventually { try daemon.ctl(["health", "--json"]).stdout.contains("\"waits_in_flight\":1") })
        // The daemon restarts under the waiting agent, which asks the new one again. The new
        // daemon restores the episode (same first_seen) but not as fresh evidence.
        #expect(daemon.stop() == 0)
        try daemon.start()
        #expect(try daemon.host("127.0.5.3")?["state"] as? String == "dumping")
        let interrupted = waiting.finish()
        #expect(interrupted.status == 1, "\(interrupted)")
        #expect(interrupted.stderr.contains("daemon is shutting down"), "\(interrupted)")
        #expect(try fence("127.0.5.3", daemon, maxAge: 1).status == 1)
        #expect(daemon.stop() == 0)
    }
}
