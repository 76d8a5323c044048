import Foundation
import Glibc
import KdumpAuth
import Testing

/// `etc/kdump-watch-rebuild`, the rebuild the packages and `kdump-watch-rebuild.path` run, on
/// kdump-tools' side: run for real with the repository's settings script and the built
/// kdump-watchctl, and stand-ins for kdump-tools' kernel hook and `kdump-config` that record
/// their calls (the hook can change the settings mid-build, or fail). kdump-utils' side is
/// run by the RPM test (Tests/Packaging/rpm-test.sh) and by the kdump-utils node of `make e2e`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CaptureImageRebuildTests {
    /// A node's settings and kdump-tools' files, in a directory of their own.
    struct Node {
        let work: TemporaryDirectory
        var path: String { work.path }
        var calls: String { path + "/calls" }
        var sendConf: String { path + "/etc/kdump-watch/kdump-watch-send.conf" }

        init() throws {
            work = try TemporaryDirectory()
            for directory in ["/etc/kdump-watch", "/var/lib/kdump", "/bin", "/state"] {
                try FileManager.default.createDirectory(atPath: path + directory, withIntermediateDirectories: true)
            }
            _ = try TestCluster.writeKey(in: path + "/etc/kdump-watch")
            try "NODES=\"192.0.2.2 192.0.2.3\"\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\n".write(
                toFile: sendConf, atomically: false, encoding: .utf8)
            // One capture image, and a build kdump-tools left half-way, which is not an image.
            for image in ["initrd.img-6.1.0-test", "initrd.img-6.1.0-test.new"] {
                try "image\n".write(toFile: path + "/var/lib/kdump/" + image, atomically: false, encoding: .utf8)
            }
            try "1\n".write(toFile: path + "/kexec_crash_loaded", atomically: false, encoding: .utf8)
            // kdump-tools' kernel hook: records its call; KW_HOOK_FAILS makes it fail, and
            // KW_HOOK_EDITS appends a line to the settings on its first call (an edit mid-build).
            try script(
                "hook",
                """
                echo "hook $1" >>"$KW_CALLS"
                [ -z "${KW_HOOK_FAILS:-}" ] || exit 1
                if [ -n "${KW_HOOK_EDITS:-}" ] && [ "$(grep -c '^hook' "$KW_CALLS")" = 1 ]; then
                    echo "$KW_HOOK_EDITS" >>"$KW_SEND_CONF"
                fi
                """)
            try script("bin/kdump-config", "echo \"kdump-config $*\" >>\"$KW_CALLS\"")
        }

        func script(_ name: String, _ body: String) throws {
            try ("#!/bin/sh\n" + body + "\n").write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
            chmod(path + "/" + name, 0o755)
        }

        /// Runs the rebuild; returns its result and the stand-ins' calls, which it clears.
        func rebuild(_ arguments: [String] = [], extra: [String: String] = [:]) throws -> (ProcessResult, [String]) {
            _ = FileManager.default.createFile(atPath: calls, contents: nil)
            var environment = [
                "PATH": path + "/bin:/usr/bin:/bin", "KW_CALLS": calls, "KW_SEND_CONF": sendConf,
                "KDUMP_WATCH_NODES_SH": Build.repository + "/etc/kdump-watch-nodes.sh",
                "KDUMP_WATCH_STATE_DIR": path + "/state", "KDUMP_WATCH_REBUILD_LOCK": path + "/lock",
                "KDUMP_TOOLS_KERNEL_HOOK": path + "/hook", "KDUMP_TOOLS_IMAGES": path + "/var/lib/kdump",
                "KEXEC_CRASH_LOADED": path + "/kexec_crash_loaded", "KDUMP_CONF": "/nonexistent/kdump.conf",
                "KDUMP_WATCH_SEND_CONF": sendConf, "KDUMP_WATCH_DEFAULT_KEY": path + "/etc/kdump-watch/authkey",
                "KDUMP_WATCH_NODE_NAME_FILE": "/nonexistent/node-name",
                "KDUMP_WATCH_COROSYNC_CONF": "/nonexistent/corosync.conf",
                "KDUMP_WATCH_CTL": Build.path("kdump-watchctl"),
            ]
            environment.merge(extra) { $1 }
            let result = try run(
                "/bin/sh", [Build.repository + "/etc/kdump-watch-rebuild"] + arguments, environment: environment)
            let recorded = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").map(String.init)
            return (result, recorded)
        }
    }

    @Test func rebuildsEveryImageAndReloadsTheLoadedCaptureKernel() throws {
        let node = try Node()
        defer { node.work.remove() }
        let (result, calls) = try node.rebuild()
        #expect(result.status == 0, "\(result)")
        #expect(calls == ["hook 6.1.0-test", "kdump-config reload"])
        #expect(result.stdout.contains("kdump-watch: rebuilt \(node.path)/var/lib/kdump/initrd.img-6.1.0-test\n"))

        // Nothing loaded: the image is rebuilt, nothing is loaded for it.
        try "0\n".write(toFile: node.path + "/kexec_crash_loaded", atomically: false, encoding: .utf8)
        #expect(try node.rebuild().1 == ["hook 6.1.0-test"])
    }

    /// The path unit's run: a change the image carries rebuilds; one it does not carry (a new key
    /// file KEY does not name yet, a key added to the daemon's auth_key) leaves the loaded
    /// capture kernel alone, since a reload unloads it for a moment.
    @Test func ifChangedRebuildsOnlyForWhatTheImageCarries() throws {
        let node = try Node()
        defer { node.work.remove() }
        #expect(try node.rebuild(["--if-changed"]).1.count == 2, "nothing recorded yet: a rebuild")
        let (unchanged, none) = try node.rebuild(["--if-changed"])
        #expect(unchanged.status == 0 && none.isEmpty, "\(unchanged) \(none)")
        #expect(unchanged.stdout == "kdump-watch: the capture image already carries these settings; not rebuilt\n")

        let newKey = try TestCluster.writeKey(
            TestCluster.foreignKey, in: node.path + "/etc/kdump-watch", name: "authkey.new")
        #expect(try node.rebuild(["--if-changed"]).1.isEmpty, "a key file nothing names")
        try "NODES=\"192.0.2.2 192.0.2.3\"\nNODE_NAME=node-b\nCLUSTER_NAME=\(TestCluster.clusterName)\nKEY=\(newKey)\n"
            .write(toFile: node.sendConf, atomically: false, encoding: .utf8)
        #expect(try node.rebuild(["--if-changed"]).1 == ["hook 6.1.0-test", "kdump-config reload"], "KEY names it")

        // The node list, the node name, the cluster's name (the node key): each rebuilds.
        for edit in ["NODES=\"192.0.2.2\"", "NODE_NAME=node-c", "CLUSTER_NAME=other"] {
            try (try String(contentsOfFile: node.sendConf, encoding: .utf8) + edit + "\n").write(
                toFile: node.sendConf, atomically: false, encoding: .utf8)
            #expect(try node.rebuild(["--if-changed"]).1.count == 2, "\(edit)")
        }
        // A comment changes the file, not the image.
        try (try String(contentsOfFile: node.sendConf, encoding: .utf8) + "# a comment\n").write(
            toFile: node.sendConf, atomically: false, encoding: .utf8)
        #expect(try node.rebuild(["--if-changed"]).1.isEmpty)
    }

    /// An edit while the image builds is built by a second round, whatever systemd does with
    /// the path unit's trigger meanwhile.
    @Test func anEditDuringTheBuildIsBuiltByASecondRound() throws {
        let node = try Node()
        defer { node.work.remove() }
        let (result, calls) = try node.rebuild(["--if-changed"], extra: ["KW_HOOK_EDITS": "NODES=\"192.0.2.9\""])
        #expect(result.status == 0, "\(result)")
        #expect(calls == ["hook 6.1.0-test", "kdump-config reload", "hook 6.1.0-test", "kdump-config reload"])
        #expect(try node.rebuild(["--if-changed"]).1.isEmpty, "the second round recorded the edit")
    }

    /// A failed build says the command to run again and records nothing, so that the next
    /// change rebuilds; settings the build would refuse stop it before any build, in one line.
    @Test func failuresAreOneLineAndLeaveTheNextRunToRebuild() throws {
        let node = try Node()
        defer { node.work.remove() }
        let (failed, calls) = try node.rebuild(["--if-changed"], extra: ["KW_HOOK_FAILS": "1"])
        #expect(failed.status == 1)
        #expect(calls == ["hook 6.1.0-test"], "no reload after a failed build")
        #expect(
            failed.stderr
                == "kdump-watch: could not rebuild \(node.path)/var/lib/kdump/initrd.img-6.1.0-test; run \(node.path)/hook 6.1.0-test\n"
        )
        #expect(try node.rebuild(["--if-changed"]).1.count == 2, "the failed build recorded nothing")
        // Even with the settings the last good build carried: the failed one (here the packages'
        // unconditional one) may have left no image.
        #expect(try node.rebuild([], extra: ["KW_HOOK_FAILS": "1"]).1 == ["hook 6.1.0-test"])
        #expect(try node.rebuild(["--if-changed"]).1.count == 2, "a failure forgets the last good build")

        chmod(node.path + "/etc/kdump-watch/authkey", 0o644)
        let (refused, none) = try node.rebuild()
        #expect(refused.status == 1 && none.isEmpty, "\(refused)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("chmod 600 it"), "\(refused.stderr)")

        let (usage, _) = try node.rebuild(["--now"])
        #expect(usage.status == 2 && usage.stderr == "usage: kdump-watch-rebuild [--if-changed]\n")
    }
}
