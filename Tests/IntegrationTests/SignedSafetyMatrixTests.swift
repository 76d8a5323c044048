import Foundation
import Glibc
import KdumpWire
import Testing

/// The fence decision under `auth = required` (Documentation/design.md §7) as a matrix through
/// the real daemon and the real fence agent: nothing but a verified, fresh, non-replayed signed
/// message naming the requested node confirms. Each row ends with `fence_kdump_watch` answering
/// (exit 1 = not confirmed); the first row shows the same set-up does confirm.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SignedSafetyMatrixTests {
    func daemon(_ extra: [String] = [], mode: String = "required") throws -> DaemonUnderTest {
        let directory = try TemporaryDirectory().path
        let key = try TestCluster.writeKey(in: directory)
        return try DaemonUnderTest(
            [
                "--auth-key", key, "--auth", mode, "--nodes", "node-a=127.0.6.1 node-b=127.0.6.2",
            ] + extra, directory: directory)
    }

    func fence(_ host: String, _ daemon: DaemonUnderTest, timeout: Int = 1, maxAge: Int? = nil) throws
        -> ProcessResult
    {
        var arguments = ["-n", host, "-t", String(timeout), "--socket", daemon.socket, "--fallback", "none"]
        if let maxAge { arguments += ["--max-age", String(maxAge)] }
        return try run(Build.path("fence_kdump_watch"), arguments, timeout: 60)
    }

    func invalid(_ daemon: DaemonUnderTest) throws -> [String: Int] {
        try daemon.statusJSON()["invalid"] as? [String: Int] ?? [:]
    }

    /// Starts an agent that accepts only messages arriving after its request, and returns once
    /// the daemon holds its wait.
    func waitingAgent(for host: String, _ daemon: DaemonUnderTest, timeout: Int = 3) throws -> BackgroundProcess {
        let agent = try BackgroundProcess(
            Build.path("fence_kdump_watch"),
            ["-n", host, "-t", String(timeout), "--max-age", "0", "--socket", daemon.socket, "--fallback", "none"])
        #expect(try eventually { try daemon.ctl(["health", "--json"]).stdout.contains("\"waits_in_flight\":1") })
        return agent
    }

    @Test func theControlRowAGenuineMessageConfirmsAndTheAgentSaysItWasAuthenticated() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        try UDP.send(TestCluster.message(node: "node-a", sequence: 1), from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try daemon.signedHost("node-a")?["phase"] as? String == "dumping" })
        let answer = try fence("node-a", daemon)
        #expect(answer.status == 0, "\(answer)")
        #expect(answer.stderr.contains("received valid message from 'node-a' (signed by node node-a, authenticated)"))
        #expect(try fence("127.0.6.1", daemon).status == 0, "an address confirms through the node nodes gives it")
    }

    static let refusedDatagrams: [(name: String, reason: String, bytes: @Sendable () -> [UInt8])] = [
        (
            "a forged MAC", "bad_mac",
            {
                var bytes = TestCluster.message(node: "node-a", sequence: 1)
                bytes[bytes.count - 1] ^= 0x01
                return bytes
            }
        ),
        (
            "another cluster's key", "unknown_key",
            { TestCluster.message(node: "node-a", sequence: 1, key: TestCluster.foreignKey) }
        ),
        (
            "a wrong key id", "unknown_key",
            {
                TestCluster.resigned(TestCluster.message(node: "node-a", sequence: 1)) { $0[9] ^= 0xFF }
            }
        ),
        (
            "a timestamp an hour in the past", "clock_skew",
            { TestCluster.message(node: "node-a", sequence: 1, skew: -3600) }
        ),
        (
            "a timestamp an hour in the future", "clock_skew",
            { TestCluster.message(node: "node-a", sequence: 1, skew: 3600) }
        ),
        ("one byte too many", "malformed", { TestCluster.message(node: "node-a", sequence: 1) + [0] }),
        ("one byte too few", "malformed", { Array(TestCluster.message(node: "node-a", sequence: 1).dropLast()) }),
        (
            "non-zero flags, signed", "malformed",
            {
                TestCluster.resigned(TestCluster.message(node: "node-a", sequence: 1)) { $0[11] = 1 }
            }
        ),
        (
            "phase 9, signed", "malformed",
            {
                TestCluster.resigned(TestCluster.message(node: "node-a", sequence: 1)) { $0[8] = 9 }
            }
        ),
        (
            "a name of 65 bytes, signed", "malformed",
            {
                TestCluster.resigned(TestCluster.message(node: "node-a", sequence: 1)) { body in
                    body[32] = 65
                    body += Array(repeating: UInt8(ascii: "a"), count: 65 - 6)
                }
            }
        ),
        ("version 1 under required", "unauthenticated", { UDP.valid }),
    ]

    @Test(arguments: refusedDatagrams)
    func aRefusedDatagramNeverConfirms(_ name: String, _ reason: String, _ bytes: @Sendable () -> [UInt8]) throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        for _ in 0..<2 { try UDP.send(bytes(), from: "127.0.6.1", port: daemon.port) }
        #expect(try eventually { try invalid(daemon)[reason] == 2 }, "\(name)")
        #expect(try daemon.hosts().isEmpty, "\(name)")
        #expect(try fence("node-a", daemon).status == 1, "\(name)")
        #expect(try fence("127.0.6.1", daemon).status == 1, "\(name)")
        if reason == "clock_skew" {
            #expect(daemon.log().contains("clock is 3600 s"), "the log says by how much: \(daemon.log())")
        }
    }

    @Test func theSameDatagramTwiceConfirmsOnlyOnce() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        let datagram = TestCluster.message(node: "node-a", sequence: 3)
        try UDP.send(datagram, from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try daemon.signedHost("node-a") != nil })
        let agent = try waitingAgent(for: "node-a", daemon)
        try UDP.send(datagram, from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try invalid(daemon)["replayed"] == 1 })
        let answer = agent.finish()
        #expect(answer.status == 1, "a replay during the wait must not confirm: \(answer)")
    }

    @Test func anOlderSequenceAfterANewerOneIsAReplay() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        try UDP.send(TestCluster.message(node: "node-a", sequence: 5), from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try daemon.signedHost("node-a") != nil })
        let agent = try waitingAgent(for: "node-a", daemon)
        try UDP.send(TestCluster.message(node: "node-a", sequence: 4), from: "127.0.6.1", port: daemon.port)
        // A restarted sender (new nonce) with an older timestamp is a replay too.
        try UDP.send(
            TestCluster.message(node: "node-a", nonce: 8, sequence: 1, skew: -60), from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try invalid(daemon)["replayed"] == 2 })
        #expect(agent.finish().status == 1)
        // A newer one confirms.
        let confirming = try waitingAgent(for: "node-a", daemon)
        try UDP.send(TestCluster.message(node: "node-a", sequence: 6), from: "127.0.6.1", port: daemon.port)
        #expect(confirming.finish().status == 0)
    }

    @Test func aMessageForNodeASentFromNodeBsAddressConfirmsAOnly() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        try UDP.send(TestCluster.message(node: "node-a", sequence: 1), from: "127.0.6.2", port: daemon.port)
        #expect(try eventually { try daemon.signedHost("node-a")?["address"] as? String == "127.0.6.2" })
        #expect(try fence("node-b", daemon).status == 1)
        #expect(try fence("127.0.6.2", daemon).status == 1, "node B's address stands for node B")
        #expect(try fence("node-a", daemon).status == 0)
        #expect(try fence("127.0.6.1", daemon).status == 0)
    }

    @Test func anAddressNoNodeHasIsAnErrorUnderRequired() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        let answer = try fence("127.0.6.9", daemon)
        #expect(answer.status == 1)
        #expect(answer.stderr.contains("'127.0.6.9' is the address of no node in 'nodes'"), "\(answer)")
    }

    @Test func aRestartBetweenAMessageAndItsReplayStillRefusesTheReplay() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        let datagram = TestCluster.message(node: "node-a", sequence: 10)
        try UDP.send(datagram, from: "127.0.6.1", port: daemon.port)
        let statePath = daemon.stateDirectory + "/state.json"
        #expect(
            eventually {
                (try? String(contentsOfFile: statePath, encoding: .utf8))?.contains("\"replay\":[{\"node\":\"node-a\"")
                    == true
            })
        #expect(daemon.stop() == 0)
        try daemon.start()
        let agent = try waitingAgent(for: "node-a", daemon)
        try UDP.send(datagram, from: "127.0.6.1", port: daemon.port)
        #expect(try eventually { try invalid(daemon)["replayed"] == 1 })
        #expect(agent.finish().status == 1)
        let confirming = try waitingAgent(for: "node-a", daemon)
        try UDP.send(TestCluster.message(node: "node-a", sequence: 11), from: "127.0.6.1", port: daemon.port)
        #expect(confirming.finish().status == 0)
    }

    @Test func finishedEndsTheEpisodeAtOnceAndStillConfirms() throws {
        let daemon = try daemon()
        defer { daemon.remove() }
        let agent = try waitingAgent(for: "node-a", daemon)
        try UDP.send(
            TestCluster.message(node: "node-a", phase: .failed, sequence: 1), from: "127.0.6.1", port: daemon.port)
        #expect(agent.finish().status == 0)
        let host = try #require(try daemon.signedHost("node-a"))
        #expect(host["state"] as? String == "finished" && host["phase"] as? String == "failed")
        #expect(daemon.log().contains("node-a's capture kernel says the dump FAILED"))
    }

    @Test func optionalAcceptsBothVersionsAndNoneCountsSignedMessagesLong() throws {
        let optional = try daemon(mode: "optional")
        defer { optional.remove() }
        try UDP.send(UDP.valid, from: "127.0.6.3", port: optional.port)
        try UDP.send(TestCluster.message(node: "node-a", sequence: 1), from: "127.0.6.4", port: optional.port)
        #expect(try eventually { try optional.hosts().count == 2 })
        #expect(try fence("127.0.6.3", optional).status == 0)
        #expect(try fence("node-a", optional).status == 0, "a node name need not resolve")
        let plain = try DaemonUnderTest()
        defer { plain.remove() }
        try UDP.send(TestCluster.message(node: "node-a", sequence: 1), from: "127.0.6.4", port: plain.port)
        #expect(try eventually { try invalid(plain)["long"] == 1 })
        #expect(try plain.hosts().isEmpty)
    }

    /// The daemon is down and the agent is on its default fallback=listen: it reads the daemon's
    /// configuration (auth = required, by the key) and runs the daemon's admission gate, so
    /// version 1, forged, foreign and held-back signed datagrams from the target's own address
    /// never confirm; a verified signed message does.
    @Test func withTheDaemonDownTheFallbackAdmitsOnlyVerifiedSignedMessages() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try TestCluster.writeKey(in: directory.path)
        let config = try FallbackAgent.writeConfiguration(
            "auth_key = \(key)\nnodes = node-a=127.0.6.1 node-b=127.0.6.2\ncluster_name = \(TestCluster.clusterName)\n",
            in: directory.path)
        let refusing = try FallbackAgent.start(["-n", "node-a", "-t", "3"], config: config)
        var forged = TestCluster.message(node: "node-a", sequence: 1)
        forged[forged.count - 1] ^= 0x01
        let refused: [[UInt8]] = [
            UDP.valid, UDP.validBigEndian, forged,
            TestCluster.message(node: "node-a", sequence: 2, key: TestCluster.foreignKey),
            TestCluster.message(node: "node-b", sequence: 3),
            // Inside auth_window (120 s), but sent long before the request: held back.
            TestCluster.message(node: "node-a", nonce: 9, sequence: 4, skew: -100),
        ]
        for datagram in refused { try UDP.send(datagram, from: "127.0.6.1", port: refusing.port) }
        let answer = refusing.process.finish()
        #expect(answer.status == 1, "\(answer)")
        for reason in ["unauthenticated", "bad_mac", "unknown_key"] {
            #expect(
                answer.stderr.contains("discarded invalid message from 127.0.6.1: \(reason)"), "\(reason): \(answer)")
        }
        #expect(answer.stderr.contains("(node-b): not a node being fenced"), "\(answer)")
        #expect(answer.stderr.contains("(node-a): sent too long before the request"), "\(answer)")
        #expect(answer.stderr.contains("admitting as \(config) does: auth required"), "\(answer)")

        let confirming = try FallbackAgent.start(["-n", "127.0.6.1", "-t", "20"], config: config)
        try UDP.send(TestCluster.message(node: "node-a", sequence: 5), from: "127.0.6.9", port: confirming.port)
        let confirmed = confirming.process.finish()
        #expect(confirmed.status == 0, "\(confirmed)")
        #expect(
            confirmed.stderr.contains("received valid message from '127.0.6.1' (signed by node node-a, authenticated)"),
            "\(confirmed)")
    }
}
