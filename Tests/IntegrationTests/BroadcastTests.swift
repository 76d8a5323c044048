import Foundation
import Glibc
import Testing

/// Broadcast between two hosts for real: two network namespaces joined by a veth pair, the
/// daemon in one, `kdump-watch-send --broadcast` with no node list in the other
/// (Documentation/protocol.md §5). Needs root and `ip`, as CI has.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BroadcastTests {
    /// Two namespaces, `kwa<pid>` (the capture kernel, 10.77.0.1) and `kwb<pid>` (a cluster
    /// node, 10.77.0.2), removed again by ``remove()``.
    struct Namespaces {
        let sender = "kwa\(getpid())"
        let receiver = "kwb\(getpid())"

        func ip(_ arguments: [String]) throws {
            let result = try run("/usr/sbin/ip", arguments, timeout: 30)
            guard result.status == 0 else {
                throw DaemonError(message: "ip \(arguments.joined(separator: " ")): \(result)")
            }
        }

        func create() throws {
            remove()
            try ip(["netns", "add", sender])
            try ip(["netns", "add", receiver])
            try ip(["link", "add", "kwa0", "netns", sender, "type", "veth", "peer", "name", "kwb0", "netns", receiver])
            for (namespace, device, address) in [(sender, "kwa0", "10.77.0.1/24"), (receiver, "kwb0", "10.77.0.2/24")] {
                // No duplicate address detection: the link-local address is usable at once.
                try ip(["netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv6.conf.\(device).accept_dad=0"])
                try ip(["-n", namespace, "address", "add", address, "dev", device])
                try ip(["-n", namespace, "link", "set", device, "up"])
                try ip(["-n", namespace, "link", "set", "lo", "up"])
            }
            // Both ends up, with their IPv6 link-local addresses, before anything is sent.
            for (namespace, device) in [(sender, "kwa0"), (receiver, "kwb0")] {
                let ready = try eventually {
                    let shown = try run("/usr/sbin/ip", ["-n", namespace, "-6", "address", "show", "dev", device])
                    return shown.stdout.contains("LOWER_UP") && shown.stdout.contains("scope link")
                }
                guard ready else { throw DaemonError(message: "\(device) in \(namespace) did not come up") }
            }
        }

        func remove() {
            _ = try? run("/usr/sbin/ip", ["netns", "del", sender], timeout: 30)
            _ = try? run("/usr/sbin/ip", ["netns", "del", receiver], timeout: 30)
        }
    }

    @Test(.enabled(if: Privileges.rootWith("/usr/sbin/ip"), "needs root and ip"))
    func aSignedBroadcastFromAnotherHostConfirmsItsNode() throws {
        let namespaces = Namespaces()
        try namespaces.create()
        defer { namespaces.remove() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try TestCluster.writeKey(in: directory.path)
        let socket = directory.path + "/control.sock"
        let daemon = try BackgroundProcess(
            "/usr/sbin/ip",
            [
                "netns", "exec", namespaces.receiver, Build.path("kdump-watchd"), "--port", "0", "--control-socket",
                socket, "--state-dir", directory.path, "--auth-key", key, "--log-level", "debug", "--cluster-name",
                TestCluster.clusterName,
            ])
        defer {
            daemon.process.terminate()
            _ = daemon.finish()
        }
        // The control socket is a file: the test reaches it from outside the namespace.
        var port = 0
        #expect(
            try eventually {
                let health = try run(Build.path("kdump-watchctl"), ["health", "--json", "--socket", socket])
                guard health.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(health.stdout.utf8)),
                    let udp = (json as? [String: Any])?["udp"] as? [[String: Any]],
                    let found = udp.first?["port"] as? Int
                else { return false }
                port = found
                return true
            }, "the daemon did not answer: \(daemon.currentError())")
        let sent = try run(
            "/usr/sbin/ip",
            [
                "netns", "exec", namespaces.sender, Build.sender, "--key",
                try TestCluster.writeNodeKey(node: "node-a", clusterKey: key, in: directory.path), "--key-id",
                TestCluster.keyIDText, "--node-name", "node-a", "--broadcast", "-p", "\(port)", "-c", "1", "-v",
            ])
        #expect(sent.status == 0, "\(sent)")
        // 255.255.255.255 needs a route, and the namespace has none: the subnet's broadcast
        // address and the IPv6 all-nodes group reach the other host, two messages of node-a.
        #expect(sent.stderr.contains("signed message sent to broadcast (10.77.0.255 on kwa0)"), "\(sent)")
        #expect(sent.stderr.contains("signed message sent to broadcast (ff02::1%kwa0)"), "\(sent)")
        func nodeA() throws -> [String: Any]? {
            let status = try run(Build.path("kdump-watchctl"), ["status", "--json", "--socket", socket])
            let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            return (json?["hosts"] as? [[String: Any]])?.first { $0["node"] as? String == "node-a" }
        }
        #expect(try eventually { try nodeA()?["messages"] as? Int == 2 }, "\(daemon.currentError())")
        #expect(try nodeA()?["auth"] as? Bool == true)
        let confirmed = try run(
            Build.path("kdump-watchctl"), ["wait", "--timeout", "1", "node-a", "--socket", socket])
        #expect(confirmed.status == 0, "\(confirmed)")
    }
}
