import Foundation
import Glibc
import KdumpAuth
import KdumpTestSupport
import KdumpWire
import Testing

/// `kdump-watchctl check` against real capture images: one built by dracut as kdump-utils'
/// mkdumprd runs it, one by mkinitramfs as kdump-tools' kernel hook runs it, both with the
/// project's module or hook. Each is ready as built, then broken one way at a time; every
/// failure names its check and the command that fixes it. The crash kernel's state is a file
/// the test writes (`KDUMP_WATCH_KEXEC_CRASH_LOADED`): no kernel here can load one.
@Suite(.timeLimit(.minutes(5)))
struct ReadinessTests {
    let ctl = Build.path("kdump-watchctl")

    /// A node's files: the cluster key, kdump-watch-send.conf, kdump-watchd.conf (nodes node-a
    /// and node-b, this node, on the link of this machine's first IPv4 interface, so that the
    /// image's broadcast reaches node-a), and the crash kernel's state, loaded.
    struct Node {
        let work: TemporaryDirectory
        var key: String { work.path + "/authkey" }
        var sendConf: String { work.path + "/send.conf" }
        var daemonConf: String { work.path + "/kdump-watchd.conf" }
        var crashLoaded: String { work.path + "/kexec_crash_loaded" }
        /// kdump-utils' /etc/sysconfig/kdump; none unless a test writes it.
        var sysconfig: String { work.path + "/sysconfig-kdump" }
        let link: Link

        init() throws {
            link = try Link.first()
            work = try TemporaryDirectory()
            _ = try TestCluster.writeKey(in: work.path)
            try writeFile(
                sendConf, "KEY=\(work.path)/authkey\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\n")
            try writeFile(
                daemonConf,
                "auth_key = \(work.path)/authkey\ncluster_name = \(TestCluster.clusterName)\n"
                    + "nodes = node-a=\(link.peer) node-b=\(link.own)\n")
            try writeFile(crashLoaded, "1\n")
        }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["KDUMP_WATCH_SEND_CONF"] = sendConf
            environment["KDUMP_WATCH_KEXEC_CRASH_LOADED"] = crashLoaded
            environment["KDUMP_WATCH_SEND"] = Build.sender
            environment["KDUMP_WATCH_NODE_NAME_FILE"] = "/nonexistent/node-name"
            // This machine's own corosync.conf is not the tests' cluster.
            environment["KDUMP_WATCH_COROSYNC_CONF"] = "/nonexistent/corosync.conf"
            environment["KDUMP_SYSCONFIG"] = sysconfig
            return environment
        }
    }

    /// This machine's first global IPv4 address, its interface, and another address of its
    /// subnet (a node the broadcast would reach). network_driver needs such an interface too.
    struct Link {
        var interface: String
        var own: String
        var peer: String

        static func first() throws -> Link {
            let output = try run("/bin/ip", ["-o", "-4", "addr", "show", "scope", "global", "up"]).stdout
            let words = try #require(output.split(separator: "\n").first, "an interface with an IPv4 address")
                .split(separator: " ")
            let inet = try #require(words.firstIndex(of: "inet"))
            let parts = words[inet + 1].split(separator: "/")
            let prefix = try #require(Int(parts[1]))
            try #require(prefix <= 30, "a subnet with room for another node: \(words)")
            var octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
            let address = octets.reduce(0) { $0 << 8 | $1 }
            let host = address & ~(UInt32.max << (32 - prefix))
            // The next host of the subnet, or the one before when this is the last.
            let peer = host + 1 < ~(UInt32.max << (32 - prefix)) ? address + 1 : address - 1
            octets = [peer >> 24, peer >> 16 & 0xFF, peer >> 8 & 0xFF, peer & 0xFF]
            return Link(
                interface: String(words[inet - 1]), own: String(parts[0]),
                peer: octets.map(String.init).joined(separator: "."))
        }
    }

    struct Answer {
        var status: Int32
        var ready: Bool
        var checks: [String: (ok: Bool, detail: String, fix: String?)]
    }

    func check(_ node: Node, image: String, builder: String) throws -> Answer {
        let result = try run(
            ctl, ["check", "--json", "--config", node.daemonConf, "--image", image, "--builder", builder],
            environment: node.environment)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        var checks: [String: (ok: Bool, detail: String, fix: String?)] = [:]
        for check in object["checks"] as? [[String: Any]] ?? [] {
            checks[check["name"] as? String ?? ""] = (
                check["ok"] as? Bool ?? false, check["detail"] as? String ?? "", check["fix"] as? String
            )
        }
        return Answer(status: result.status, ready: object["ready"] as? Bool ?? false, checks: checks)
    }

    static let names = [
        "crash_kernel_loaded", "capture_image", "sender_in_image", "key_in_image", "key_current", "node_name",
        "peers_reachable", "network_driver", "image_fresh",
    ]

    func expectReady(_ answer: Answer) {
        #expect(answer.status == 0 && answer.ready, "\(answer.checks)")
        #expect(Set(answer.checks.keys) == Set(Self.names))
        for name in Self.names { #expect(answer.checks[name]?.ok == true, "\(name): \(answer.checks[name] as Any)") }
    }

    /// Only the named checks fail, each with its fix; one of them says `detail`.
    func expectFailing(_ answer: Answer, _ failing: [String: String], _ detail: String) {
        #expect(answer.status == 1 && !answer.ready)
        for name in Self.names {
            let check = answer.checks[name]
            #expect(check?.ok == (failing[name] == nil), "\(name): \(check as Any)")
        }
        for (name, fix) in failing {
            #expect(answer.checks[name]?.fix == fix, "\(name): \(answer.checks[name] as Any)")
        }
        #expect(failing.keys.contains { answer.checks[$0]?.detail.contains(detail) == true }, "\(answer.checks)")
    }

    /// The kernel whose modules mkinitramfs builds for; requires mkinitramfs.
    func mkinitramfsRelease() throws -> String {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkinitramfs"), "Debian's initramfs-tools-core")
        return try #require(
            try FileManager.default.contentsOfDirectory(atPath: "/lib/modules").sorted().last, "a kernel's modules")
    }

    /// Builds `image` as kdump-tools' kernel hook does (mkinitramfs on a copy of
    /// /etc/initramfs-tools; MODULES=list keeps it small), with the project's hook or without.
    func kdumpToolsImage(
        _ node: Node, image: String, release: String, withHook: Bool, environment extra: [String: String] = [:],
        namespace: String? = nil
    ) throws -> ProcessResult {
        let confdir = image + ".initramfs-tools"
        #expect(try run("/bin/cp", ["-a", "/etc/initramfs-tools", confdir]).status == 0)
        if withHook {
            #expect(try run("/bin/cp", ["-a", Build.repository + "/etc/initramfs-tools/.", confdir + "/"]).status == 0)
        }
        let conf = try String(contentsOfFile: confdir + "/initramfs.conf", encoding: .utf8)
        try writeFile(
            confdir + "/initramfs.conf",
            conf.split(separator: "\n").map { $0.hasPrefix("MODULES=") ? "MODULES=list" : String($0) }.joined(
                separator: "\n") + "\n")
        var environment = node.environment
        environment["KDUMP_WATCH_KDUMP_CONFDIR"] = confdir
        environment["KDUMP_WATCH_LIBDIR"] = Build.repository + "/etc"
        environment["KDUMP_WATCH_CTL"] = ctl
        environment["KDUMP_CONF"] = "/nonexistent/kdump.conf"
        environment.merge(extra) { $1 }
        let build = ["/usr/sbin/mkinitramfs", "-d", confdir, "-o", image, release]
        if let namespace {
            return try run("/bin/ip", ["netns", "exec", namespace] + build, timeout: 300, environment: environment)
        }
        return try run(build[0], Array(build.dropFirst()), timeout: 300, environment: environment)
    }

    /// The running kernel's release, which the rebuild commands name.
    var release: String { (try? run("/bin/uname", ["-r"]))?.stdout.split(separator: "\n").first.map(String.init) ?? "" }

    @Test func aKdumpUtilsImageBuiltByDracutIsReadyThenEachBreakIsNamedWithItsFix() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dracut"), "Debian's dracut-core")
        let node = try Node()
        defer { node.work.remove() }
        let image = node.work.path + "/initramfs-kdump.img"
        let built = try CaptureKernelTests.dracut(
            in: node.work, kdumpConf: "path /var/crash\n", environment: ["KDUMP_WATCH_SEND_CONF": node.sendConf],
            image: image)
        try #require(built.status == 0, "\(built.stderr)")
        let rebuild = "kdumpctl rebuild && kdumpctl restart"
        let first = try check(node, image: image, builder: "kdump-utils")
        expectReady(first)
        #expect(
            first.checks["network_driver"]?.detail.hasSuffix(
                "; ip= in the image's /etc/cmdline.d/95kdump-watch.conf configures the network") == true,
            "\(first.checks)")

        // ip= in KDUMP_COMMANDLINE_APPEND: the module adds none, and the capture kernel gets the
        // network from the administrator's; without it, nothing would give an address.
        try writeFile(
            node.sysconfig, "KDUMP_COMMANDLINE_APPEND=\"irqpoll ip=\(node.link.own)::::\(node.link.interface):none\"\n")
        CaptureKernelTests.setModificationTime(node.sysconfig, secondsAgo: 3600)
        let ownIP = node.work.path + "/own-ip-kdump.img"
        let ownIPBuilt = try CaptureKernelTests.dracut(
            in: node.work, kdumpConf: "path /var/crash\n",
            environment: ["KDUMP_WATCH_SEND_CONF": node.sendConf, "KDUMP_SYSCONFIG": node.sysconfig], image: ownIP)
        try #require(ownIPBuilt.status == 0, "\(ownIPBuilt.stderr)")
        let appended = try check(node, image: ownIP, builder: "kdump-utils")
        expectReady(appended)
        #expect(
            appended.checks["network_driver"]?.detail.hasSuffix(
                "; ip= in KDUMP_COMMANDLINE_APPEND configures the network")
                == true, "\(appended.checks)")
        try FileManager.default.removeItem(atPath: node.sysconfig)
        let networkFix = "add ip= to KDUMP_COMMANDLINE_APPEND in \(node.sysconfig), or \(rebuild)"
        expectFailing(
            try check(node, image: ownIP, builder: "kdump-utils"), ["network_driver": networkFix],
            "an address in the capture kernel")

        // No capture kernel loaded.
        try writeFile(node.crashLoaded, "0\n")
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"), ["crash_kernel_loaded": "kdumpctl start"],
            "no capture kernel is loaded")
        try writeFile(node.crashLoaded, "1\n")

        // The node's name is not the image's.
        let sendConf = try String(contentsOfFile: node.sendConf, encoding: .utf8)
        try writeFile(node.sendConf, sendConf.replacingOccurrences(of: "NODE_NAME=node-b", with: "NODE_NAME=node-a"))
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"),
            ["node_name": "set NODE_NAME in \(node.sendConf), then \(rebuild)", "image_fresh": rebuild],
            "the image's name is 'node-b', this node's is 'node-a'")
        try writeFile(node.sendConf, sendConf)
        CaptureKernelTests.setModificationTime(node.sendConf, secondsAgo: 3600)

        // The sender's settings changed after the image was built.
        CaptureKernelTests.setModificationTime(node.sendConf, secondsAgo: -5)
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"), ["image_fresh": rebuild],
            "is older than \(node.sendConf)")
        CaptureKernelTests.setModificationTime(node.sendConf, secondsAgo: 3600)
        // kdump-watchd's configuration changed after the image was built (a key rotation's last
        // step): what the image depends on in it is checked by content, so the image is fresh.
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: -5)
        expectReady(try check(node, image: image, builder: "kdump-utils"))
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)

        // The cluster key rotated without a rebuild: the image's key is a former key's.
        _ = try TestCluster.writeKey(KeyDerivation.random(), in: node.work.path)
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"), ["key_current": rebuild, "image_fresh": rebuild],
            "a key rotated without a rebuild?")
        _ = try TestCluster.writeKey(in: node.work.path)
        CaptureKernelTests.setModificationTime(node.key, secondsAgo: 3600)

        // The image broadcasts; the other member moved off this machine's link, then left.
        let daemonConf = try String(contentsOfFile: node.daemonConf, encoding: .utf8)
        let listFix = "set NODES in \(node.sendConf) to the cluster's other nodes, then \(rebuild)"
        try writeFile(node.daemonConf, daemonConf.replacingOccurrences(of: node.link.peer, with: "198.51.100.1"))
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"), ["peers_reachable": listFix],
            "the image announces to every broadcast address, which reaches no current member but this node (node-a 198.51.100.1; members from kdump-watchd.conf's nodes, as Pacemaker does not answer crm_node -p)"
        )
        try writeFile(node.daemonConf, daemonConf.replacingOccurrences(of: "node-a=\(node.link.peer) ", with: ""))
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)
        expectFailing(
            try check(node, image: image, builder: "kdump-utils"),
            ["peers_reachable": "start the cluster on the other nodes"],
            "no current member of the cluster but this node")
        try writeFile(node.daemonConf, daemonConf)
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)
        let ready = try check(node, image: image, builder: "kdump-utils")
        expectReady(ready)
        #expect(
            ready.checks["peers_reachable"]?.detail
                == "node-a (broadcast on \(node.link.interface)); members from kdump-watchd.conf's nodes, as Pacemaker does not answer crm_node -p",
            "\(ready.checks)")

        // An image built while the integration had nothing to send to holds none of ours.
        try writeFile(node.work.path + "/empty.conf", "")
        CaptureKernelTests.setModificationTime(node.work.path + "/empty.conf", secondsAgo: 3600)
        let bare = node.work.path + "/bare-kdump.img"
        let bareBuilt = try CaptureKernelTests.dracut(
            in: node.work, kdumpConf: "path /var/crash\n",
            environment: ["KDUMP_WATCH_SEND_CONF": node.work.path + "/empty.conf"], image: bare)
        try #require(bareBuilt.status == 0, "\(bareBuilt.stderr)")
        expectFailing(
            try check(node, image: bare, builder: "kdump-utils"),
            [
                "sender_in_image": rebuild, "key_in_image": rebuild, "key_current": rebuild, "node_name": rebuild,
                "peers_reachable": rebuild, "network_driver": networkFix,
            ],
            "the image holds no kdump-watch-send")

        // Without NODE_NAME, the image's name is the one the hooks choose, the host's as
        // `uname -n` gives it when Pacemaker does not answer, and check agrees. This image
        // announces to node-a's address alone, a member this machine has a route to.
        let host = try run("/bin/uname", ["-n"]).stdout.split(separator: "\n").first.map(String.init) ?? ""
        try writeFile(
            node.sendConf,
            "KEY=\(node.key)\nCLUSTER_NAME=\(TestCluster.clusterName)\nNODES=\(node.link.peer)\nBROADCAST=no\n")
        let namedNodes = "nodes = node-a=\(node.link.peer) \(host)=\(node.link.own)\n"
        try writeFile(
            node.daemonConf, "auth_key = \(node.key)\ncluster_name = \(TestCluster.clusterName)\n" + namedNodes)
        CaptureKernelTests.setModificationTime(node.sendConf, secondsAgo: 3600)
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)
        let unnamed = node.work.path + "/unnamed-kdump.img"
        let unnamedBuilt = try CaptureKernelTests.dracut(
            in: node.work, kdumpConf: "path /var/crash\n", environment: ["KDUMP_WATCH_SEND_CONF": node.sendConf],
            image: unnamed)
        try #require(unnamedBuilt.status == 0, "\(unnamedBuilt.stderr)")
        let answer = try check(node, image: unnamed, builder: "kdump-utils")
        expectReady(answer)
        #expect(answer.checks["node_name"]?.detail.hasPrefix("'\(host)' (") == true, "\(answer.checks)")
        #expect(
            answer.checks["peers_reachable"]?.detail.hasPrefix(
                "node-a (\(node.link.peer)); members from kdump-watchd.conf's nodes")
                == true, "\(answer.checks)")
        // The image's one address is no member any more.
        let moved = try String(contentsOfFile: node.daemonConf, encoding: .utf8)
        try writeFile(
            node.daemonConf, moved.replacingOccurrences(of: "node-a=\(node.link.peer)", with: "node-a=198.51.100.1"))
        CaptureKernelTests.setModificationTime(node.daemonConf, secondsAgo: 3600)
        expectFailing(
            try check(node, image: unnamed, builder: "kdump-utils"),
            ["peers_reachable": "set NODES in \(node.sendConf) to the cluster's other nodes, then \(rebuild)"],
            "the image announces to \(node.link.peer), which reaches no current member but this node")
    }

    @Test func aKdumpToolsImageBuiltByMkinitramfsIsReadyAndOneWithoutOurHookIsNot() throws {
        let release = try mkinitramfsRelease()
        let node = try Node()
        defer { node.work.remove() }
        let rebuild = "/etc/kernel/postinst.d/kdump-tools \(self.release) && kdump-config reload"
        for withHook in [true, false] {
            let image = node.work.path + "/initrd.img-\(withHook)"
            let built = try kdumpToolsImage(node, image: image, release: release, withHook: withHook)
            try #require(built.status == 0, "\(built)")
            let answer = try check(node, image: image, builder: "kdump-tools")
            if withHook {
                expectReady(answer)
            } else {
                expectFailing(
                    answer,
                    [
                        "sender_in_image": rebuild, "key_in_image": rebuild, "key_current": rebuild,
                        "node_name": rebuild, "peers_reachable": rebuild,
                        "network_driver": "add ip= to KDUMP_CMDLINE_APPEND in /etc/default/kdump-tools, or \(rebuild)",
                    ],
                    "the image holds no kdump-watch-send")
            }
        }
    }

    /// Without NODE_NAME and with Pacemaker not answering, the image takes the name that
    /// corosync.conf's nodelist gives this machine's address, and check expects the same; a
    /// NODE_NAME the nodelist does not know stops the build with one line.
    @Test func theNodeNameComesFromCorosyncsNodelistAndAnUnknownNameStopsTheBuild() throws {
        let release = try mkinitramfsRelease()
        let node = try Node()
        defer { node.work.remove() }
        let corosync = node.work.path + "/corosync.conf"
        try writeFile(
            corosync,
            "totem {\n    cluster_name: \(TestCluster.clusterName)\n}\nnodelist {\n"
                + "    node {\n        ring0_addr: \(node.link.peer)\n        name: node-a\n    }\n"
                + "    node {\n        ring0_addr: \(node.link.own)\n        name: node-b\n    }\n}\n")
        try writeFile(node.sendConf, "KEY=\(node.key)\nCLUSTER_NAME=\(TestCluster.clusterName)\n")
        let nodelist = ["KDUMP_WATCH_COROSYNC_CONF": corosync]
        let image = node.work.path + "/initrd.img"
        let built = try kdumpToolsImage(node, image: image, release: release, withHook: true, environment: nodelist)
        try #require(built.status == 0, "\(built)")
        var environment = node.environment
        environment["KDUMP_WATCH_COROSYNC_CONF"] = corosync
        let result = try run(
            ctl, ["check", "--json", "--config", node.daemonConf, "--image", image, "--builder", "kdump-tools"],
            environment: environment)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\"detail\":\"'node-b' (the nodelist of \(corosync))\""), "\(result.stdout)")

        try writeFile(node.sendConf, "KEY=\(node.key)\nNODE_NAME=node-x\nCLUSTER_NAME=\(TestCluster.clusterName)\n")
        let refused = try kdumpToolsImage(
            node, image: node.work.path + "/refused.img", release: release, withHook: true, environment: nodelist)
        #expect(
            refused.stderr.contains(
                "kdump-watch: node name 'node-x' is not in the nodelist of \(corosync) (node-a node-b); set NODE_NAME in \(node.sendConf) to this node's name there"
            ), "\(refused)")
        #expect(refused.status != 0 || !FileManager.default.fileExists(atPath: node.work.path + "/refused.img"))
    }

    /// A kdump-tools image built while no interface reached the nodes (its only peer is reached
    /// through loopback) brings up no network: the build says so, and `network_driver` fails
    /// with the fix; the other checks pass.
    @Test func aKdumpToolsImageThatReachesNoNodeFailsTheNetworkCheck() throws {
        let release = try mkinitramfsRelease()
        let node = try Node()
        defer { node.work.remove() }
        try writeFile(
            node.sendConf,
            "KEY=\(node.key)\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\nNODES=127.0.0.5\nBROADCAST=no\n"
        )
        try writeFile(
            node.daemonConf,
            "auth_key = \(node.key)\ncluster_name = \(TestCluster.clusterName)\nnodes = node-a=127.0.0.5 node-b=\(node.link.own)\n"
        )
        try writeFile(node.work.path + "/kdump-tools", "USE_KDUMP=1\n")
        let image = node.work.path + "/initrd.img"
        let built = try kdumpToolsImage(
            node, image: image, release: release, withHook: true,
            environment: ["KDUMP_TOOLS_DEFAULTS": node.work.path + "/kdump-tools"])
        try #require(built.status == 0, "\(built)")
        #expect(built.stderr.contains("kdump-watch: no interface to bring up in the capture kernel"), "\(built.stderr)")
        var checkEnvironment = node.environment
        checkEnvironment["KDUMP_TOOLS_DEFAULTS"] = node.work.path + "/kdump-tools"
        let result = try run(
            ctl, ["check", "--json", "--config", node.daemonConf, "--image", image, "--builder", "kdump-tools"],
            environment: checkEnvironment)
        let checks = try expectOnlyNetworkDriverFails(result)
        let network = checks.first { $0["name"] as? String == "network_driver" }
        #expect(network?["detail"] as? String == "no interface of this node reaches 127.0.0.5", "\(checks)")
        // The peer itself is a member and has a route (through lo): only the driver is missing.
        let peers = checks.first { $0["name"] as? String == "peers_reachable" }
        #expect((peers?["detail"] as? String)?.hasPrefix("node-a (127.0.0.5); members from ") == true, "\(checks)")
        #expect(
            network?["fix"] as? String
                == "give the interface that reaches the nodes its address, then /etc/kernel/postinst.d/kdump-tools \(self.release) && kdump-config reload"
        )
    }

    /// A node that reaches the cluster through a bridge, in a network namespace of its own (a
    /// bond or a VLAN takes the same path: an interface with no device of its own; this
    /// machine's kernel has a bridge but neither of those). The capture initramfs cannot bring it
    /// up: the build says so in one line and goes on, and `network_driver` alone fails, naming
    /// the bridge and the fix (operators-guide.md, "Debian and Ubuntu").
    @Test func aNodeThatReachesTheClusterThroughABridgeIsNotReady() throws {
        let release = try mkinitramfsRelease()
        let node = try Node()
        defer { node.work.remove() }
        let namespace = "kw-readiness-\(getpid())"
        try #require(try run("/bin/ip", ["netns", "add", namespace]).status == 0, "ip netns add (root)")
        defer { _ = try? run("/bin/ip", ["netns", "del", namespace]) }
        for command in [
            ["link", "add", "br0", "type", "bridge"], ["addr", "add", "10.77.0.2/24", "dev", "br0"],
            ["link", "set", "br0", "up"],
        ] {
            let result = try run("/bin/ip", ["-n", namespace] + command)
            try #require(result.status == 0, "ip \(command): \(result.stderr)")
        }
        try writeFile(
            node.sendConf,
            "KEY=\(node.key)\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\nNODES=10.77.0.1\nBROADCAST=no\n"
        )
        try writeFile(
            node.daemonConf,
            "auth_key = \(node.key)\ncluster_name = \(TestCluster.clusterName)\nnodes = node-a=10.77.0.1 node-b=10.77.0.2\n"
        )
        let image = node.work.path + "/initrd.img"
        let built = try kdumpToolsImage(node, image: image, release: release, withHook: true, namespace: namespace)
        try #require(built.status == 0, "\(built)")
        #expect(
            built.stderr.contains(
                "kdump-watch: the nodes are reached through br0, a bridge, which the capture initramfs cannot bring up; add ip= for a plain interface that reaches them to KDUMP_CMDLINE_APPEND\n"
            ), "\(built.stderr)")
        let result = try run(
            "/bin/ip",
            [
                "netns", "exec", namespace, ctl, "check", "--json", "--config", node.daemonConf, "--image", image,
                "--builder", "kdump-tools",
            ], environment: node.environment)
        let checks = try expectOnlyNetworkDriverFails(result)
        let network = checks.first { $0["name"] as? String == "network_driver" }
        #expect(
            network?["detail"] as? String
                == "the nodes are reached through br0, a bridge, which the capture initramfs does not bring up",
            "\(checks)")
        #expect(
            network?["fix"] as? String
                == "add ip= for a plain interface that reaches the nodes to KDUMP_CMDLINE_APPEND in /etc/default/kdump-tools, then /etc/kernel/postinst.d/kdump-tools \(self.release) && kdump-config reload"
        )
    }

    /// `check --json`'s checks, of which `network_driver` alone must fail.
    func expectOnlyNetworkDriverFails(_ result: ProcessResult) throws -> [[String: Any]] {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        let checks = object["checks"] as? [[String: Any]] ?? []
        let failing = checks.filter { $0["ok"] as? Bool != true }.map { $0["name"] as? String ?? "" }
        #expect(result.status == 1 && failing == ["network_driver"], "\(checks)")
        return checks
    }

    /// kdump-watchd runs the checks itself: `health`, the metrics and the log show them, and a
    /// reload runs them again (the crash kernel's state read anew, the rest kept).
    @Test func theDaemonReportsReadinessAndChecksAgainOnReload() throws {
        let node = try Node()
        defer { node.work.remove() }
        try writeFile(node.crashLoaded, "0\n")
        let daemon = try DaemonUnderTest(
            ["--config", node.daemonConf],
            launcher: [
                "/usr/bin/env", "KDUMP_WATCH_KEXEC_CRASH_LOADED=\(node.crashLoaded)",
                "KDUMP_WATCH_SEND_CONF=\(node.sendConf)",
            ])
        defer { daemon.remove() }
        func problems() throws -> [String]? {
            let health = try daemon.json("health")
            guard health["capture_ready"] as? Bool == false else { return nil }
            return health["capture_problems"] as? [String]
        }
        func metric(_ line: String) throws -> Bool { try daemon.ctl(["metrics"]).stdout.contains(line) }
        let crash = "crash_kernel_loaded: no capture kernel is loaded (\(node.crashLoaded) is 0)"
        #expect(try eventually { try problems()?.contains { $0.hasPrefix(crash) } == true }, "\(daemon.log())")
        #expect(try metric("kdump_watch_capture_ready 0"))
        #expect(try metric("kdump_watch_capture_check{check=\"crash_kernel_loaded\"} 0"))
        #expect(daemon.log().contains("capture NOT READY: a crash of this node would not be caught: \(crash)"))
        // The agent's monitor warns by default, and fails with monitor_readiness=fail.
        let monitor = ["-o", "monitor", "-p", "\(daemon.port)", "--socket", daemon.socket]
        let warned = try run(Build.path("fence_kdump_watch"), monitor)
        #expect(
            warned.status == 0
                && warned.stderr.contains(
                    "[warning]: a crash of this node would not be caught by its capture kernel: \(crash)"),
            "\(warned)")
        let failed = try run(Build.path("fence_kdump_watch"), monitor + ["--monitor-readiness=fail"])
        #expect(
            failed.status == 1
                && failed.stderr.contains(
                    "[error]: a crash of this node would not be caught by its capture kernel: \(crash)"),
            "\(failed)")

        try writeFile(node.crashLoaded, "1\n")
        daemon.signal(SIGHUP)
        #expect(
            try eventually { try problems().map { !$0.contains { $0.hasPrefix("crash_kernel_loaded") } } == true },
            "\(daemon.log())")
        #expect(try metric("kdump_watch_capture_check{check=\"crash_kernel_loaded\"} 1"))
        #expect(try metric("kdump_watch_capture_ready 0"), "still no capture image here")
    }

    /// This machine has no crash kernel and no kdump service: check says so and exits 1.
    @Test func withoutAKdumpServiceCheckSaysSoAndExitsOne() throws {
        let node = try Node()
        defer { node.work.remove() }
        var environment = node.environment
        environment["KDUMP_WATCH_KEXEC_CRASH_LOADED"] = "/nonexistent/kexec_crash_loaded"
        let result = try run(ctl, ["check", "--config", node.daemonConf], environment: environment)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("FAIL crash_kernel_loaded: cannot read /nonexistent/kexec_crash_loaded"))
        #expect(result.stdout.hasSuffix("NOT READY: a crash of this node would not be caught as configured\n"))
        let usage = try run(ctl, ["check", "--builder", "kdump-tools"], environment: environment)
        #expect(usage.status == 2 && usage.stderr.contains("--builder applies to --image"), "\(usage)")
    }
}
