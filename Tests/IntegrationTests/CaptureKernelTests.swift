import Foundation
import Glibc
import KdumpAuth
import KdumpTestSupport
import KdumpWire
import Testing

/// The capture-kernel integration in `etc/`: checked by shellcheck (with the repository's other
/// shell scripts) and run for real by dracut and by initramfs-tools' hook machinery, into
/// temporary directories only.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CaptureKernelTests {
    /// node-b's key in the tests' cluster: what its capture image must hold instead of the cluster key.
    static var nodeKeyB: AuthKey {
        KeyDerivation.nodeKey(clusterKey: TestCluster.key, clusterName: TestCluster.clusterName, node: "node-b")
    }

    static let scripts = [
        "etc/kdump-watch-nodes.sh", "etc/kdump-watch-capture.sh", "etc/dracut/99kdump-watch/module-setup.sh",
        "etc/dracut/99kdump-watch/kdump-watch-send.sh", "etc/dracut/99kdump-watch/kdump-watch-post.sh",
        "etc/initramfs-tools/hooks/kdump-watch", "etc/initramfs-tools/scripts/init-premount/kdump-watch",
        "etc/kdump-tools/kdump-watch-report", "etc/kdump-tools/kdump-watch-dump", "Tests/EndToEnd/run.sh",
        "Tests/EndToEnd/node-image.sh", "Tests/EndToEnd/host.sh", "Tests/EndToEnd/node.sh",
        "Tests/EndToEnd/debian-node.sh",
        "Tests/EndToEnd/kdump-utils-node.sh", "Tests/EndToEnd/kdump-utils/kdumpctl",
        "Tests/EndToEnd/kdump-utils/mkdumprd",
        "Tests/EndToEnd/kdump-utils/99kdumpbase/module-setup.sh", "Tests/EndToEnd/kdump-utils/99kdumpbase/kdump.sh",
        "Tests/EndToEnd/cluster.sh", "Tests/EndToEnd/cluster/kw-e2e-shell",
        "Tests/EndToEnd/guest-init.sh", "scripts/install-deps.sh", "scripts/sanitize.sh", "Tests/Fuzz/run.sh",
        "Benchmarks/run.sh", ".ci/run", "Tests/Packaging/deb-test.sh", "Tests/Packaging/rpm-test.sh",
        "debian/kdump-watch.postrm", "debian/kdump-watch.postinst", "scripts/rooms.sh", "etc/kdump-watch-rebuild",
    ].map { Build.repository + "/" + $0 }

    @Test func scriptsPassShellcheck() throws {
        for script in Self.scripts {
            #expect(try run("/bin/bash", ["-n", script]).status == 0, "\(script)")
        }
        let result = try run("/usr/bin/shellcheck", ["-x", "-P", "SCRIPTDIR"] + Self.scripts)
        #expect(result.status == 0, "\(result.stdout)")
    }

    /// The sender is in every node's capture image, and `crashkernel=` reserves its memory on
    /// every node for good: Embedded Swift with Nettle linked statically needs glibc alone
    /// (libc, libm, the loader, the vDSO). Stripped as `make install` strips it, it must stay
    /// within the goal of 100 kB (98.0 kB today; Documentation/performance.md says what it is
    /// made of; upstream's C sender: 14.6 KB, plus libc).
    @Test func theInstalledSenderNeedsOnlyGlibcAndIsSmall() throws {
        let ldd = try run("/usr/bin/ldd", [Build.sender])
        let libraries = ldd.stdout.split(separator: "\n").map {
            String($0.split(separator: " ").first ?? "").trimmingCharacters(in: .whitespaces)
        }
        let glibc = ["linux-vdso.so.1", "libc.so.6", "libm.so.6", "/lib64/ld-linux-x86-64.so.2"]
        #expect(ldd.status == 0 && libraries.allSatisfy(glibc.contains), "\(ldd.stdout)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let stripped = directory.path + "/kdump-watch-send"
        #expect(try run("/usr/bin/strip", ["-o", stripped, Build.sender]).status == 0)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: stripped)[.size] as? Int)
        #expect(size <= 100_000, "the stripped sender is \(size) bytes, more than 100 kB")
    }

    /// A capture kernel's random pool is often not ready: a blocking getrandom(2) before the
    /// first message would delay it until it is (1.6 s under QEMU, found by `make e2e`; the
    /// signed messages' nonce did it again, 1.8 s). Unsigned and signed, every call must be
    /// one that cannot block.
    @Test(arguments: [false, true])
    func theSenderNeverWaitsForTheRandomPool(signed: Bool) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "Debian's strace")
        let sender = Build.sender
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try TestCluster.writeKey(in: directory.path)
        let daemon = try DaemonUnderTest(signed ? ["--auth-key", key] : [])
        defer { daemon.remove() }
        let signing =
            signed
            ? [
                "--key", try TestCluster.writeNodeKey(node: "node-r", clusterKey: key, in: directory.path),
                "--key-id", TestCluster.keyIDText, "--node-name", "node-r",
            ] : []
        let traced = try run(
            "/usr/bin/strace",
            ["-f", "-e", "trace=getrandom", sender, "-v", "-c", "1", "-p", "\(daemon.port)"] + signing + ["127.0.0.1"])
        #expect(traced.status == 0, "\(traced)")
        let calls = traced.stderr.split(separator: "\n").filter { $0.hasPrefix("getrandom(") }
        #expect(
            calls.allSatisfy { $0.contains("GRND_NONBLOCK") || $0.contains("GRND_INSECURE") }, "\(traced.stderr)")
        // The arguments still arrive (the start-up code moves the environment).
        #expect(traced.stderr.contains("sent to node '127.0.0.1'"), "\(traced.stderr)")
        if signed {
            #expect(try eventually { try daemon.signedHost("node-r") != nil })
        } else {
            #expect(try eventually { try daemon.host("127.0.0.1") != nil })
        }
    }

    /// Runs the real dracut as kdump-utils' mkdumprd does (`IN_KDUMP=1`, host-only, strict, no
    /// network interface of its own: `--hostonly --hostonly-mode strict --hostonly-nics ''`) on
    /// a copy of the system's modules plus ours, with `kdumpConf` as kdump.conf; returns
    /// dracut's result. Without a kernel, and with only the base module besides ours and what
    /// they depend on, to keep it short.
    static func dracut(
        in work: TemporaryDirectory, kdumpConf: String, environment extra: [String: String] = [:], image: String
    ) throws -> ProcessResult {
        let base = work.path + "/dracut"
        if !FileManager.default.fileExists(atPath: base) {
            #expect(try run("/bin/cp", ["-a", "/usr/lib/dracut", base]).status == 0)
            #expect(
                try run("/bin/cp", ["-rL", Build.repository + "/etc/dracut/99kdump-watch", base + "/modules.d/"])
                    .status == 0)
        }
        try kdumpConf.write(toFile: work.path + "/kdump.conf", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["dracutbasedir"] = base
        environment["KDUMP_CONF"] = work.path + "/kdump.conf"
        environment["KDUMP_WATCH_SEND"] = Build.sender
        environment["KDUMP_WATCH_SEND_CONF"] = "/nonexistent/kdump-watch-send.conf"
        environment["KDUMP_WATCH_DEFAULT_KEY"] = "/nonexistent/authkey"
        environment["KDUMP_WATCH_CTL"] = Build.path("kdump-watchctl")
        // This machine's own corosync.conf is not the tests' cluster.
        environment["KDUMP_WATCH_COROSYNC_CONF"] = "/nonexistent/corosync.conf"
        environment["KDUMP_SYSCONFIG"] = "/nonexistent/sysconfig-kdump"
        environment["KDUMP_WATCH_FENCE_KDUMP_SEND"] = "/nonexistent/fence_kdump_send"
        environment["IN_KDUMP"] = "1"
        environment.merge(extra) { $1 }
        return try run(
            "/usr/bin/dracut",
            [
                "--no-kernel", "--hostonly", "--hostonly-mode", "strict", "--hostonly-nics", "", "-m",
                "base kdump-watch", "--tmpdir", work.path, "-f", image,
            ],
            timeout: 300, environment: environment)
    }

    @Test func dracutPutsTheSenderAndItsNodesIntoTheCaptureInitramfs() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dracut"), "Debian's dracut-core")
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let local = try run("/bin/hostname", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let image = work.path + "/initrd.img"
        let dracut = try Self.dracut(
            in: work,
            kdumpConf:
                "path /var/crash\nfence_kdump_args -p 7411 -i 2 # every two seconds\nfence_kdump_nodes node1 \(local) 192.0.2.9\n",
            image: image)
        #expect(dracut.status == 0, "\(dracut.stderr)")
        let listing = try run("/usr/bin/lsinitrd", [image]).stdout
        #expect(listing.contains("usr/sbin/kdump-watch-send"))
        #expect(listing.contains("pre-pivot/50-kdump-watch-send.sh"))
        #expect(listing.contains("etc/kdump/post.d/kdump-watch"))
        #expect(listing.contains("usr/share/kdump-watch/kdump-watch-capture.sh"))
        #expect(!listing.contains("etc/kdump-watch/authkey"), "no key on this node, none in the image")
        // kdump-utils' error path reports `failed` through the post-dump hook, before its
        // failure action.
        let dropIn = try #require(
            listing.split(separator: "\n").compactMap { $0.split(separator: " ").last }
                .first { $0.hasSuffix("systemd/system/kdump-error-handler.service.d/kdump-watch.conf") },
            "\(listing)")
        let unit = try run("/usr/bin/lsinitrd", ["-f", String(dropIn), image]).stdout
        #expect(unit.hasSuffix("[Service]\nExecStartPre=-/etc/kdump/post.d/kdump-watch 1\n"), "\(unit)")
        #expect(listing.contains("etc/kdump/emergency.d/kdump-watch"))
        let config = try run("/usr/bin/lsinitrd", ["-f", "etc/kdump-watch-send.conf", image]).stdout
        #expect(config.contains("KDUMP_WATCH_NODES=\"node1 192.0.2.9\""), "the local node is left out: \(config)")
        #expect(config.contains("KDUMP_WATCH_ARGS=\"-p 7411 -i 2\""))
        #expect(config.contains("KDUMP_WATCH_KEY=\"\""), "protocol 1 without a key: \(config)")
    }

    /// mkdumprd configures no interface but for its own fence_kdump setup: with our node list
    /// alone, the module itself has dracut's network module bring up the interface that reaches
    /// the nodes, found again by its MAC, with the address it has now. With fence_kdump_nodes,
    /// or a fence_kdump device in the CIB and upstream's sender, kdumpbase does that, and with
    /// ip= in KDUMP_COMMANDLINE_APPEND the administrator does; the module then adds nothing.
    @Test func dracutBringsUpTheInterfaceThatReachesTheNodes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dracut"), "Debian's dracut-core")
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let link = try ReadinessTests.Link.first()
        let mac = try String(contentsOfFile: "/sys/class/net/\(link.interface)/address", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let prefix = try #require(
            try run("/bin/ip", ["-o", "-4", "addr", "show", "dev", link.interface, "scope", "global"]).stdout
                .split(separator: " ").first { $0.hasPrefix(link.own + "/") }?.split(separator: "/").last.flatMap {
                    Int($0)
                })
        let mask = UInt32.max << (32 - prefix)
        let netmask = [24, 16, 8, 0].map { String(mask >> UInt32($0) & 0xFF) }.joined(separator: ".")
        let gateway =
            try run("/bin/ip", ["-o", "-4", "route", "show", "default", "dev", link.interface]).stdout
            .split(separator: " ").dropFirst(2).first.map(String.init) ?? ""
        try "NODES=\"\(link.peer)\"\n".write(toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        let settings = ["KDUMP_WATCH_SEND_CONF": work.path + "/send.conf"]

        let image = work.path + "/initrd.img"
        let dracut = try Self.dracut(in: work, kdumpConf: "path /var/crash\n", environment: settings, image: image)
        #expect(dracut.status == 0, "\(dracut.stderr)")
        let cmdline = try run("/usr/bin/lsinitrd", ["-f", "etc/cmdline.d/95kdump-watch.conf", image]).stdout
        #expect(
            cmdline
                == "ifname=kdwatch0:\(mac) ip=\(link.own)::\(gateway):\(netmask)::kdwatch0:none\nrd.neednet=1\n",
            "\(cmdline)")
        let listing = try run("/usr/bin/lsinitrd", [image]).stdout
        #expect(listing.contains("network-generator") || listing.contains("ifup"), "dracut's network module")

        // Builds `name` and tells whether the module gave it a network of its own.
        func addsNetwork(_ name: String, kdumpConf: String = "path /var/crash\n", _ environment: [String: String])
            throws -> Bool
        {
            let image = work.path + "/" + name + ".img"
            let built = try Self.dracut(in: work, kdumpConf: kdumpConf, environment: environment, image: image)
            #expect(built.status == 0, "\(name): \(built.stderr)")
            return try run("/usr/bin/lsinitrd", [image]).stdout.contains("95kdump-watch.conf")
        }
        #expect(
            try !addsNetwork("fence-kdump", kdumpConf: "path /var/crash\nfence_kdump_nodes \(link.peer)\n", settings))

        // A fence_kdump device in the CIB, with upstream's sender installed: kdumpbase brings
        // up the network for the CIB's nodes. A stand-in for pcs answers with such a CIB.
        let pcs = work.path + "/pcs"
        try
            "#!/bin/sh\n[ \"$*\" = \"cluster cib\" ] && echo '<primitive class=\"stonith\" id=\"kdump\" type=\"fence_kdump\"/>'\n"
            .write(toFile: pcs, atomically: true, encoding: .utf8)
        chmod(pcs, 0o755)
        var withCIB = settings
        withCIB["KDUMP_WATCH_PCS"] = pcs
        withCIB["KDUMP_WATCH_FENCE_KDUMP_SEND"] = "/bin/true"
        #expect(try !addsNetwork("cib", withCIB))
        // Without upstream's sender kdumpbase configures nothing for the CIB, and the module does.
        withCIB["KDUMP_WATCH_FENCE_KDUMP_SEND"] = "/nonexistent/fence_kdump_send"
        #expect(try addsNetwork("cib-without-sender", withCIB))

        try "KDUMP_COMMANDLINE_APPEND=\"irqpoll ip=\(link.own)::::\(link.interface):none\"\n".write(
            toFile: work.path + "/sysconfig-kdump", atomically: true, encoding: .utf8)
        var withAppend = settings
        withAppend["KDUMP_SYSCONFIG"] = work.path + "/sysconfig-kdump"
        #expect(try !addsNetwork("appended", withAppend))
    }

    /// In a kdump-utils image, the pre-pivot hook takes fence_kdump_nodes out of the image's
    /// kdump.conf once our sender announces, so that kdump.sh, which reads it with comments
    /// dropped, starts no second, unsigned sender; every other line stays as it was.
    @Test func theDracutHookLeavesKdumpShNoFenceKdumpNodes() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let conf = work.path + "/kdump.conf"
        let original =
            "path /var/crash\n  fence_kdump_nodes node1 node2 # from the CIB\nfence_kdump_args -p 7410 -i 1\n"
        try original.write(toFile: conf, atomically: true, encoding: .utf8)
        let quiet = ". \"$0\" && kdump_watch_quiet_fence_kdump \"$1\""
        let library = Build.repository + "/etc/kdump-watch-capture.sh"
        for _ in 1...2 {
            let result = try run("/bin/sh", ["-c", quiet, library, conf])
            #expect(result.status == 0, "\(result)")
        }
        let lines = try String(contentsOfFile: conf, encoding: .utf8).split(separator: "\n")
        // As kdump-utils' kdump_read_conf reads it: comments dropped, blank lines skipped.
        let read = lines.map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(read == ["path /var/crash", "fence_kdump_args -p 7410 -i 1"], "\(lines)")
        #expect(lines.count == 3)
        #expect(try run("/bin/sh", ["-c", quiet, library, work.path + "/none.conf"]).status == 0)
    }

    /// What `function` of kdump-watch-nodes.sh prints with `kdumpConf` as kdump.conf and
    /// `sendConf` as kdump-watch-send.conf (both written into `work`).
    static func settingsFunction(
        _ function: String, in work: TemporaryDirectory, kdumpConf: String, sendConf: String,
        environment extra: [String: String] = [:]
    ) throws -> String {
        try kdumpConf.write(toFile: work.path + "/kdump.conf", atomically: true, encoding: .utf8)
        try sendConf.write(toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["KDUMP_CONF"] = work.path + "/kdump.conf"
        environment["KDUMP_WATCH_SEND_CONF"] = work.path + "/send.conf"
        environment.merge(extra) { $1 }
        let result = try run(
            "/bin/sh", ["-c", ". \"$0\" && \(function)", Build.repository + "/etc/kdump-watch-nodes.sh"],
            environment: environment)
        #expect(result.status == 0, "\(result)")
        return result.stdout
    }

    /// The sender's options: kdump-utils' fence_kdump_args win over ARGS, but `--also-v1`, which
    /// upstream's sender does not have, is kept from ARGS (a migration's version 1 copy must not
    /// vanish because kdump.conf names the port); without fence_kdump_args, ARGS; else `-i 1`.
    @Test func kdumpConfsFenceKdumpArgsKeepAlsoV1FromArgs() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        func args(kdumpConf: String, sendConf: String) throws -> String {
            try Self.settingsFunction("kdump_watch_args", in: work, kdumpConf: kdumpConf, sendConf: sendConf)
        }
        let upstream = "fence_kdump_nodes node1\nfence_kdump_args -p 7410 -i 2\n"
        #expect(try args(kdumpConf: upstream, sendConf: "ARGS=\"-i 1 --also-v1\"\n") == "-p 7410 -i 2 --also-v1")
        #expect(try args(kdumpConf: upstream, sendConf: "ARGS=\"-i 1\"\n") == "-p 7410 -i 2")
        #expect(try args(kdumpConf: "path /var/crash\n", sendConf: "ARGS=\"-i 3 --also-v1\"\n") == "-i 3 --also-v1")
        #expect(try args(kdumpConf: "path /var/crash\n", sendConf: "") == "-i 1")
    }

    /// The nodes to announce to: kdump.conf's fence_kdump_nodes, else NODES, else the other
    /// nodes of corosync.conf's nodelist by their first address (so the list survives the
    /// deletion of a CIB fence_kdump device, kdump-utils' own source); this node, known by any
    /// of its names or addresses, is never one of them.
    @Test func theNodeListFallsBackToCorosyncsNodelistWithoutThisNode() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        try """
        totem {
            cluster_name: kw-test
        }
        nodelist {
            node {
                ring0_addr: 10.0.0.1
                name: node-a
            }
            node {
                ring0_addr: 10.0.0.2
                name: node-b
            }
            node {
                ring0_addr: 10.0.0.3
                ring1_addr: 10.1.0.3
                name: node-c
            }
        }

        """.write(toFile: work.path + "/corosync.conf", atomically: true, encoding: .utf8)
        func nodes(kdumpConf: String, sendConf: String, locals: String) throws -> String {
            try Self.settingsFunction(
                "kdump_watch_nodes", in: work, kdumpConf: kdumpConf, sendConf: sendConf,
                environment: [
                    "KDUMP_WATCH_COROSYNC_CONF": work.path + "/corosync.conf", "KDUMP_WATCH_LOCAL_NAMES": locals,
                ])
        }
        let plain = "path /var/crash\n"
        #expect(try nodes(kdumpConf: plain, sendConf: "", locals: "node-b.example 10.0.0.2") == "10.0.0.1 10.0.0.3")
        #expect(try nodes(kdumpConf: plain, sendConf: "", locals: "node-a") == "10.0.0.2 10.0.0.3")
        #expect(try nodes(kdumpConf: plain, sendConf: "NODES=\"node-x node-b\"\n", locals: "node-b") == "node-x")
        #expect(
            try nodes(kdumpConf: "fence_kdump_nodes node-y\n", sendConf: "NODES=node-x\n", locals: "node-b") == "node-y"
        )
    }

    /// With a cluster key, the image holds it (mode 0600, in an image only root can read) and
    /// the node name, and needs no node list: the sender broadcasts.
    @Test func dracutPutsTheKeyAndTheNodeNameIntoTheCaptureInitramfs() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dracut"), "Debian's dracut-core")
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let key = try TestCluster.writeKey(in: work.path)
        try "KEY=\(key)\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\n".write(
            toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        let image = work.path + "/initrd.img"
        let settings = ["KDUMP_WATCH_SEND_CONF": work.path + "/send.conf"]
        let dracut = try Self.dracut(in: work, kdumpConf: "path /var/crash\n", environment: settings, image: image)
        #expect(dracut.status == 0, "\(dracut.stderr)")
        var info = stat()
        #expect(stat(image, &info) == 0 && info.st_mode & 0o077 == 0, "the image is root's only")
        let listing = try run("/usr/bin/lsinitrd", [image]).stdout.split(separator: "\n")
        let keyLine = listing.first { $0.hasSuffix(" etc/kdump-watch/authkey") }
        #expect(keyLine?.hasPrefix("-rw------- ") == true, "\(listing)")
        let imageKey = try run("/usr/bin/lsinitrd", ["-f", "etc/kdump-watch/authkey", image]).stdout
        #expect(imageKey == Self.nodeKeyB.hexText + "\n", "node-b's key, never the cluster key")
        let name = try run("/usr/bin/lsinitrd", ["-f", "etc/kdump-watch/node-name", image]).stdout
        #expect(name == "node-b\n")
        let config = try run("/usr/bin/lsinitrd", ["-f", "etc/kdump-watch-send.conf", image]).stdout
        #expect(config.contains("KDUMP_WATCH_NODES=\"\""), "\(config)")
        #expect(config.contains("KDUMP_WATCH_KEY=\"/etc/kdump-watch/authkey\""))
        #expect(config.contains("KDUMP_WATCH_KEY_ID=\"\(TestCluster.keyIDText)\""), "\(config)")
        #expect(config.contains("KDUMP_WATCH_NODE_NAME=\"node-b\""))
        #expect(config.contains("KDUMP_WATCH_BROADCAST=\"yes\""))

        // A key others can read would be refused by the sender at the crash: dracut stops now.
        chmod(key, 0o644)
        let refusedImage = work.path + "/refused.img"
        let refused = try Self.dracut(
            in: work, kdumpConf: "path /var/crash\n", environment: settings, image: refusedImage)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is readable or writable by others (mode 644); chmod 600 it"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: refusedImage))
    }

    /// Runs the initramfs-tools hook as kdump-tools' mkinitramfs does (its CONFDIR), under
    /// `umask`, with `sendConf` as kdump-watch-send.conf, into `destination`.
    static func initramfsToolsHook(
        in work: TemporaryDirectory, sendConf: String, destination: String, umask: String = "077",
        confdir: String = "/var/lib/kdump/initramfs-tools"
    ) throws -> ProcessResult {
        try sendConf.write(toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["DESTDIR"] = destination
        environment["CONFDIR"] = confdir
        environment["verbose"] = "n"
        environment["KDUMP_CONF"] = "/nonexistent/kdump.conf"
        environment["KDUMP_WATCH_LIBDIR"] = Build.repository + "/etc"
        environment["KDUMP_WATCH_SEND"] = Build.sender
        environment["KDUMP_WATCH_SEND_CONF"] = work.path + "/send.conf"
        environment["KDUMP_WATCH_DEFAULT_KEY"] = "/nonexistent/authkey"
        environment["KDUMP_WATCH_CTL"] = Build.path("kdump-watchctl")
        environment["KDUMP_WATCH_COROSYNC_CONF"] = "/nonexistent/corosync.conf"
        return try run(
            "/bin/sh",
            [
                "-c", "umask $0 && exec /bin/sh \"$1\"", umask,
                Build.repository + "/etc/initramfs-tools/hooks/kdump-watch",
            ],
            environment: environment)
    }

    @Test func theInitramfsToolsHookBuildsItsTree() throws {
        try #require(
            FileManager.default.fileExists(atPath: "/usr/share/initramfs-tools/hook-functions"), "initramfs-tools-core")
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let local = try run("/bin/hostname", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let destination = work.path + "/initramfs"
        let hook = try Self.initramfsToolsHook(
            in: work, sendConf: "NODES=\"node1 \(local) node3\"\nARGS=\"-i 2\"\n", destination: destination)
        #expect(hook.status == 0, "\(hook)")
        let copied = [destination + "/sbin/kdump-watch-send", destination + "/usr/sbin/kdump-watch-send"]
        #expect(copied.contains { FileManager.default.isExecutableFile(atPath: $0) })
        #expect(FileManager.default.fileExists(atPath: destination + "/usr/share/kdump-watch/kdump-watch-capture.sh"))
        let config = try String(contentsOfFile: destination + "/conf/kdump-watch-send.conf", encoding: .utf8)
        #expect(config.contains("KDUMP_WATCH_NODES=\"node1 node3\""))
        #expect(config.contains("KDUMP_WATCH_ARGS=\"-i 2\""))
        #expect(config.contains("KDUMP_WATCH_KEY=\"\""))

        // Without nodes the hook adds nothing and says why.
        let empty = work.path + "/empty"
        let skipped = try Self.initramfsToolsHook(in: work, sendConf: "", destination: empty)
        #expect(skipped.status == 0 && skipped.stderr.contains("no nodes configured"), "\(skipped)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }

    /// The key goes into kdump-tools' capture initrd only, mode 0600, and only when
    /// mkinitramfs writes the image for root's eyes alone (conf.d/kdump-watch: UMASK=0077).
    @Test func theInitramfsToolsHookPutsTheKeyOnlyIntoTheCaptureInitrd() throws {
        try #require(
            FileManager.default.fileExists(atPath: "/usr/share/initramfs-tools/hook-functions"), "initramfs-tools-core")
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let key = try TestCluster.writeKey(in: work.path)
        let settings =
            "KEY=\(key)\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\nBROADCAST=no\nNODES=192.0.2.7\n"
        let destination = work.path + "/initramfs"
        let hook = try Self.initramfsToolsHook(in: work, sendConf: settings, destination: destination)
        #expect(hook.status == 0, "\(hook)")
        var info = stat()
        #expect(stat(destination + "/etc/kdump-watch/authkey", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(
            try String(contentsOfFile: destination + "/etc/kdump-watch/authkey", encoding: .utf8)
                == Self.nodeKeyB.hexText + "\n", "node-b's key, never the cluster key")
        #expect(
            try String(contentsOfFile: destination + "/etc/kdump-watch/node-name", encoding: .utf8) == "node-b\n")
        let config = try String(contentsOfFile: destination + "/conf/kdump-watch-send.conf", encoding: .utf8)
        #expect(config.contains("KDUMP_WATCH_KEY=\"/etc/kdump-watch/authkey\""), "\(config)")
        #expect(config.contains("KDUMP_WATCH_NODE_NAME=\"node-b\""))
        #expect(config.contains("KDUMP_WATCH_BROADCAST=\"no\""))

        // An initrd that others could read would give the key away: the build stops.
        let readable = work.path + "/readable"
        let refused = try Self.initramfsToolsHook(in: work, sendConf: settings, destination: readable, umask: "022")
        #expect(refused.status == 1 && refused.stderr.contains("UMASK=0077"), "\(refused)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: readable).isEmpty)

        // The node's own initrds (update-initramfs: CONFDIR /etc/initramfs-tools) get nothing.
        let ordinary = work.path + "/ordinary"
        let skipped = try Self.initramfsToolsHook(
            in: work, sendConf: settings, destination: ordinary, umask: "022", confdir: "/etc/initramfs-tools")
        #expect(skipped.status == 0, "\(skipped)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ordinary).isEmpty)
    }

    /// A capture kernel's scripts for one node, run for real outside a capture kernel: the
    /// build-time library writes the image's settings into `root`, and the runtime library
    /// starts the sender from them as init-premount/kdump-watch and the dracut hook do.
    struct CaptureScripts {
        let root: String
        let runDirectory: String
        let environment: [String: String]
        let announcer: pid_t

        init(node: String, port: Int, key: String, in work: TemporaryDirectory) throws {
            root = work.path + "/\(node)-image"
            runDirectory = work.path + "/\(node)-run"
            let library = Build.repository + "/etc"
            try
                "KEY=\(key)\nNODE_NAME=\(node)\nCLUSTER_NAME=\(TestCluster.clusterName)\nNODES=127.0.0.1\nARGS=\"-p \(port) -i 1\"\nBROADCAST=no\n"
                .write(
                    toFile: work.path + "/\(node).conf", atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["KDUMP_CONF"] = "/nonexistent/kdump.conf"
            environment["KDUMP_WATCH_SEND_CONF"] = work.path + "/\(node).conf"
            environment["KDUMP_WATCH_DEFAULT_KEY"] = "/nonexistent/authkey"
            environment["KDUMP_WATCH_LOCAL_NAMES"] = "none.invalid"
            environment["KDUMP_WATCH_COROSYNC_CONF"] = "/nonexistent/corosync.conf"
            environment["KDUMP_WATCH_RUN"] = runDirectory
            environment["KDUMP_WATCH_LIBDIR"] = library
            environment["KDUMP_WATCH_LIBEXECDIR"] = library + "/kdump-tools"
            environment["KDUMP_WATCH_SEND"] = Build.sender
            environment["KDUMP_WATCH_CTL"] = Build.path("kdump-watchctl")
            environment["KDUMP_TOOLS_DEFAULTS"] = work.path + "/kdump-tools"
            self.environment = environment
            let prepared = try run(
                "/bin/sh",
                [
                    "-c", ". \"$0/kdump-watch-nodes.sh\" && kdump_watch_prepare \"$1\" /conf/kdump-watch-send.conf",
                    library, root,
                ],
                environment: environment)
            guard prepared.status == 0 else { throw DaemonError(message: "prepare failed: \(prepared)") }
            // The image's key path, seen from outside the image.
            let started = try run(
                "/bin/sh",
                [
                    "-c",
                    """
                    . "$1/conf/kdump-watch-send.conf" && KDUMP_WATCH_KEY=$1$KDUMP_WATCH_KEY && \\
                    . "$0/kdump-watch-capture.sh" && kdump_watch_has_targets && \\
                    kdump_watch_announce "$KDUMP_WATCH_SEND" && kdump_watch_keep
                    """,
                    library, root,
                ], environment: environment)
            guard started.status == 0,
                let pid = pid_t(
                    try String(contentsOfFile: runDirectory + "/sender.pid", encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw DaemonError(message: "announce failed: \(started)") }
            announcer = pid
        }

        /// Whether the announcing sender still runs (a zombie nobody reaped has stopped).
        var announcerRuns: Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(announcer)/stat", encoding: .utf8) else {
                return false
            }
            return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
        }

        var outcome: String? { try? String(contentsOfFile: runDirectory + "/outcome", encoding: .utf8) }

        func stopAnnouncer() { if announcerRuns { kill(announcer, SIGKILL) } }
    }

    static func setModificationTime(_ path: String, secondsAgo: Int) {
        let then = timespec(tv_sec: time(nil) - secondsAgo, tv_nsec: 0)
        var times = [then, then]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    /// Debian's kdump-tools' dump step as our drop-in runs it (kdump-watch-dump), with stand-ins
    /// for kdump-config, the reboot and /proc/vmcore: `savecore` succeeds, and `finished` is
    /// reported, the announcer stopped, before the reboot; outside a capture kernel kdump-tools'
    /// own command runs unchanged.
    @Test func aSavedDumpIsReportedFinishedBeforeTheReboot() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let key = try TestCluster.writeKey(in: work.path)
        let daemon = try DaemonUnderTest(["--auth-key", key])
        defer { daemon.remove() }
        let capture = try CaptureScripts(node: "node-c", port: daemon.port, key: key, in: work)
        defer { capture.stopAnnouncer() }
        #expect(try eventually { try daemon.signedHost("node-c")?["state"] as? String == "dumping" })
        var info = stat()
        #expect(stat(capture.runDirectory + "/authkey", &info) == 0 && info.st_mode & 0o777 == 0o600)

        let dump = try KdumpToolsDump(in: work, capture: capture, savecore: 0)
        // Not a capture kernel: kdump-tools' own command, and nothing reported.
        let booted = try run("/bin/sh", [dump.script], environment: dump.environment(vmcore: false))
        #expect(booted.status == 0 && dump.initStarted && capture.outcome == nil, "\(booted)")
        #expect(capture.announcerRuns)

        let saved = try run("/bin/sh", [dump.script], environment: dump.environment(vmcore: true))
        #expect(saved.status == 0 && saved.stderr.contains("kdump-watch: dump finished, reported"), "\(saved)")
        #expect(dump.rebootSaw == "finished\n", "reported before the reboot")
        #expect(!capture.announcerRuns, "the announcer stops before the last word")
        #expect(try eventually { try daemon.signedHost("node-c")?["phase"] as? String == "finished" })
        #expect(try daemon.signedHost("node-c")?["state"] as? String == "finished")

        // Reported once: a second report (an old KDUMP_FAIL_CMD after all) sends nothing more.
        let again = try run(
            "/bin/sh", [Build.repository + "/etc/kdump-tools/kdump-watch-report", "failed"],
            environment: capture.environment)
        #expect(again.status == 0 && again.stderr.isEmpty && capture.outcome == "finished\n", "\(again)")
    }

    /// Stand-ins for what kdump-watch-dump runs: kdump-config (its savecore exits with the
    /// given status), kdump-tools' init script, the reboot (it records the outcome reported by
    /// then), and a non-empty vmcore.
    struct KdumpToolsDump {
        let work: TemporaryDirectory
        let capture: CaptureScripts
        let script = Build.repository + "/etc/kdump-tools/kdump-watch-dump"

        init(in work: TemporaryDirectory, capture: CaptureScripts, savecore: Int32, failCommand: String? = nil) throws {
            self.work = work
            self.capture = capture
            try writeFile(
                work.path + "/kdump-config", "#!/bin/sh\n[ \"$1\" = savecore ] && exit \(savecore)\nexit 2\n",
                mode: 0o755)
            try writeFile(work.path + "/init", "#!/bin/sh\necho \"$1\" > \"\(work.path)/init-started\"\n", mode: 0o755)
            try writeFile(work.path + "/vmcore", "core")
            try writeFile(
                work.path + "/kdump-tools", "USE_KDUMP=1\n" + (failCommand.map { "KDUMP_FAIL_CMD=\"\($0)\"\n" } ?? ""))
        }

        func environment(vmcore: Bool) -> [String: String] {
            var environment = capture.environment
            environment["KDUMP_CONFIG"] = work.path + "/kdump-config"
            environment["KDUMP_TOOLS_INIT"] = work.path + "/init"
            environment["KDUMP_WATCH_VMCORE"] = vmcore ? work.path + "/vmcore" : "/nonexistent/vmcore"
            environment["KDUMP_WATCH_REBOOT"] = "cp \(capture.runDirectory)/outcome \(work.path)/rebooted"
            return environment
        }

        var initStarted: Bool {
            (try? String(contentsOfFile: work.path + "/init-started", encoding: .utf8)) == "start\n"
        }
        var rebootSaw: String? { try? String(contentsOfFile: work.path + "/rebooted", encoding: .utf8) }
    }

    /// Debian's kdump-tools on failure: kdump-watch-dump reports `failed`, then runs
    /// KDUMP_FAIL_CMD; kdump-watch-report given as that command (an older setup) runs its
    /// command without reporting twice.
    @Test func aFailedDumpIsReportedBeforeKdumpFailCmd() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let key = try TestCluster.writeKey(in: work.path)
        let daemon = try DaemonUnderTest(["--auth-key", key])
        defer { daemon.remove() }
        let capture = try CaptureScripts(node: "node-d", port: daemon.port, key: key, in: work)
        defer { capture.stopAnnouncer() }
        #expect(try eventually { try daemon.signedHost("node-d") != nil })
        let report = Build.repository + "/etc/kdump-tools/kdump-watch-report"
        let marker = work.path + "/fail-command"
        let dump = try KdumpToolsDump(
            in: work, capture: capture, savecore: 1,
            failCommand: "\(report) failed /bin/cp \(capture.runDirectory)/outcome \(marker)")
        let failed = try run("/bin/sh", [dump.script], environment: dump.environment(vmcore: true))
        #expect(failed.status == 0 && failed.stderr.contains("dump failed, reported"), "\(failed)")
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "failed\n", "the command runs after")
        #expect(dump.rebootSaw == nil, "KDUMP_FAIL_CMD replaces the reboot")
        #expect(capture.outcome == "failed\n")
        #expect(try eventually { try daemon.signedHost("node-d")?["phase"] as? String == "failed" })
        #expect(try daemon.signedHost("node-d")?["state"] as? String == "finished")

        let usage = try run("/bin/sh", [report, "done"], environment: capture.environment)
        #expect(usage.status == 2 && usage.stderr.hasPrefix("usage: kdump-watch-report finished|failed"))
    }
}
