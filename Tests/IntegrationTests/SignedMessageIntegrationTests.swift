import Foundation
import Glibc
import KdumpAuth
import KdumpTestSupport
import KdumpWire
import Testing

/// Protocol version 2 end to end with the real executables: `kdump-watchctl keygen`, key files
/// the daemon and the sender refuse, the real sender's Nettle signatures, key rotation by
/// reload, the agent's `monitor`, and upstream `fence_kdump` faced with signed datagrams.
@Suite(.timeLimit(.minutes(3)))
struct SignedMessageIntegrationTests {
    let ctl = Build.path("kdump-watchctl")
    let sender = Build.sender

    /// A node key for a name the cluster does not know would sign messages no daemon ties to a
    /// node: keygen refuses it, in one line naming the nodes it knows, whether they come from
    /// corosync's nodelist or from `nodes`; the capture-image hooks derive the key this way.
    @Test func keygenRefusesANodeTheClusterDoesNotKnow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try TestCluster.writeKey(in: directory.path)
        let corosync = directory.path + "/corosync.conf"
        try writeFile(
            corosync,
            """
            totem {
                cluster_name: kw-nodes
            }
            nodelist {
                node {
                    name: alpha
                    ring0_addr: 192.0.2.1
                }
                node {
                    name: beta
                    ring0_addr: 192.0.2.2
                }
            }

            """)
        let fromCorosync = directory.path + "/corosync-nodes.conf"
        try writeFile(fromCorosync, "nodes = corosync:\(corosync)\n")
        let listed = directory.path + "/listed-nodes.conf"
        try writeFile(listed, "nodes = alpha=192.0.2.1 beta=192.0.2.2\ncluster_name = kw-nodes\n")
        for (config, origin) in [(fromCorosync, corosync), (listed, "nodes")] {
            let refused = try run(
                ctl, ["keygen", "--node", "gamma", "--key", key, "--config", config, "--output", "-"])
            #expect(refused.status != 0 && refused.stdout.isEmpty, "\(refused)")
            #expect(
                refused.stderr
                    == "kdump-watchctl: 'gamma' is not one of the cluster's nodes in \(origin) (alpha, beta); give the node's name as the cluster knows it\n",
                "\(refused)")
            let known = try run(ctl, ["keygen", "--node", "beta", "--key", key, "--config", config, "--output", "-"])
            let expected = KeyDerivation.nodeKey(clusterKey: TestCluster.key, clusterName: "kw-nodes", node: "beta")
            #expect(known.status == 0 && known.stdout == expected.hexText + "\n", "\(known)")
        }
    }

    @Test func keygenWritesAPrivateKeyThatTheDaemonAndTheSenderShare() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = directory.path + "/authkey"
        let made = try run(ctl, ["keygen", "--output", key])
        #expect(made.status == 0 && made.stdout.contains("wrote key id"), "\(made)")
        var info = stat()
        stat(key, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).count == 65)
        let again = try run(ctl, ["keygen", "--output", key])
        #expect(again.status == 1 && again.stderr.contains("exists already (use --force to replace it)"))
        #expect(try run(ctl, ["keygen", "--output", key, "--force"]).status == 0)

        let daemon = try DaemonUnderTest(["--auth-key", key, "--nodes", "node-a=127.0.7.1"])
        defer { daemon.remove() }
        // The node key, as the capture image holds it: derived by keygen --node, sent under the
        // cluster key's id (which keygen --key-id prints).
        let nodeKey = directory.path + "/node-key"
        let derived = try run(
            ctl,
            [
                "keygen", "--node", "node-a", "--key", key, "--cluster-name", TestCluster.clusterName, "--output",
                nodeKey,
            ])
        #expect(
            derived.status == 0 && derived.stdout.contains("wrote the node key of node-a (cluster 'kw-test'"),
            "\(derived)")
        stat(nodeKey, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        let keyID = try run(ctl, ["keygen", "--key-id", "--key", key]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(keyID.count == 2 && derived.stdout.contains("key id \(keyID)"))
        // The cluster key itself, or another node's key, confirms nothing: a leaked image
        // speaks for its own node only.
        let wrong = try run(
            sender,
            [
                "--key", nodeKey, "--key-id", keyID, "--node-name", "node-b", "-p", "\(daemon.port)", "-c", "1",
                "127.0.0.1",
            ])
        #expect(wrong.status == 0)
        #expect(try eventually { (try daemon.statusJSON()["invalid"] as? [String: Int])?["bad_mac"] == 1 })
        let sent = try run(
            sender,
            [
                "--key", nodeKey, "--key-id", keyID, "--node-name", "node-a", "-p", "\(daemon.port)", "-c", "1", "-v",
                "127.0.0.1",
            ])
        #expect(sent.status == 0 && sent.stderr.contains("signed message sent"), "\(sent)")
        #expect(try eventually { try daemon.hosts().first?["auth"] as? Bool == true })
        #expect(try daemon.hosts().first?["node"] as? String == "node-a")
        #expect(try daemon.ctl(["wait", "--timeout", "1", "node-a"]).status == 0)
    }

    @Test func theSameClusterKeyComesFromPacemakersKeyOnEveryNode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pacemaker = directory.path + "/pacemaker-authkey"
        try Data((0..<256).map { UInt8($0) }).write(to: URL(fileURLWithPath: pacemaker))
        for node in ["a", "b"] {
            #expect(
                try run(ctl, ["keygen", "--from-pacemaker", pacemaker, "--output", directory.path + "/\(node)"]).status
                    == 0)
        }
        let a = try String(contentsOfFile: directory.path + "/a", encoding: .utf8)
        #expect(a == (try String(contentsOfFile: directory.path + "/b", encoding: .utf8)))
        #expect(a == KeyDerivation.fromPacemakerKey((0..<256).map { UInt8($0) }).hexText + "\n")
        let missing = try run(ctl, ["keygen", "--from-pacemaker", directory.path + "/none", "--output", "-"])
        #expect(missing.status == 1 && missing.stderr.contains("No such file or directory"), "\(missing)")
    }

    @Test func aKeyOthersCanReadIsRefusedAtStartAndAtReload() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let open = try TestCluster.writeKey(in: directory.path, name: "open", mode: 0o644)
        let refused = try run(
            Build.path("kdump-watchd"),
            [
                "--port", "0", "--auth-key", open, "--state-dir", directory.path, "--control-socket",
                directory.path + "/s",
            ],
            timeout: 20)
        #expect(refused.status == 2, "\(refused)")
        #expect(
            refused.stderr.contains("auth_key: key file \(open): others may read or write it (mode 644); chmod 600 it"),
            "\(refused.stderr)")
        let senderRefused = try run(sender, ["--key", open, "--node-name", "a", "-c", "1", "127.0.0.1"])
        #expect(senderRefused.status == 1 && senderRefused.stderr.contains("chmod 600"), "\(senderRefused)")

        // Rotation by reload: the old key keeps working until the configuration names the new one.
        let config = directory.path + "/kdump-watchd.conf"
        let old = try TestCluster.writeKey(in: directory.path, name: "old")
        let new = try TestCluster.writeKey(TestCluster.foreignKey, in: directory.path, name: "new")
        try "auth_key = \(old)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonUnderTest(["--config", config])
        defer { daemon.remove() }
        try "auth_key = \(new),\(open)\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log().contains("configuration reload failed, keeping the current configuration") })
        try UDP.send(TestCluster.message(node: "n1", sequence: 1), from: "127.0.7.2", port: daemon.port)
        #expect(try eventually { try daemon.hosts().count == 1 }, "the old key still verifies")
        try "auth_key = \(new),\(old)\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log().contains("configuration reloaded") })
        try UDP.send(
            TestCluster.message(node: "n2", sequence: 1, key: TestCluster.foreignKey), from: "127.0.7.3",
            port: daemon.port)
        try UDP.send(TestCluster.message(node: "n1", sequence: 2), from: "127.0.7.2", port: daemon.port)
        #expect(try eventually { try daemon.hosts().map { $0["messages"] as? Int ?? 0 }.reduce(0, +) == 3 })
    }

    @Test func monitorFailsWhenARequiredKeyCannotBeReadAnyMore() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try TestCluster.writeKey(in: directory.path)
        let daemon = try DaemonUnderTest(["--auth-key", key])
        defer { daemon.remove() }
        let agent = Build.path("fence_kdump_watch")
        let monitor = ["-o", "monitor", "-p", "\(daemon.port)", "--socket", daemon.socket]
        #expect(try run(agent, monitor).status == 0)
        chmod(key, 0o644)
        let failed = try run(agent, monitor)
        #expect(failed.status == 1)
        #expect(
            failed.stderr.contains("kdump-watchd requires signed messages but cannot read its key: key file \(key)"),
            "\(failed)")
        #expect(
            try daemon.ctl(["health"]).stdout.contains(
                "auth: required (node keys of cluster 'kw-test'); KEY FILE PROBLEM"))
    }

    @Test func upstreamFenceKdumpIgnoresSignedDatagramsAndDoesNotCrash() throws {
        let upstreamAgent = try #require(Reference.agent, "upstream fence_kdump (scripts/reference-agents.sh)")
        let port = try TestPorts.udp()
        let agent = try BackgroundProcess(upstreamAgent, ["-n", "127.0.0.1", "-p", "\(port)", "-t", "3", "-v"])
        // It binds the port when it starts; signed datagrams go out until it has ended.
        var sent = 0
        while agent.process.isRunning && sent < 200 {
            try UDP.send(TestCluster.message(node: "node-a", sequence: UInt32(sent + 1)), from: "127.0.0.1", port: port)
            sent += 1
            usleep(20_000)
        }
        let result = agent.finish()
        #expect(result.status == 1, "timed out, neither confirmed nor crashed: \(result)")
        #expect(!(result.stdout + result.stderr).contains("received valid message"))
    }
}
