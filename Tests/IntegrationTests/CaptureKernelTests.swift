import Foundation
import Glibc
import Testing

/// The capture-kernel integration in `etc/`: checked by shellcheck (with the repository's other
/// shell scripts) and run for real by dracut and by initramfs-tools' hook machinery, into
/// temporary directories only.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CaptureKernelTests {
    static let scripts = [
        "etc/kdump-watch-nodes.sh", "etc/dracut/99kdump-watch/module-setup.sh",
        "etc/dracut/99kdump-watch/kdump-watch-send.sh", "etc/initramfs-tools/hooks/kdump-watch",
        "etc/initramfs-tools/scripts/init-premount/kdump-watch", "Tests/EndToEnd/run.sh",
        "Tests/EndToEnd/guest-init.sh", "scripts/install-deps.sh", "scripts/sanitize.sh", "Tests/Fuzz/run.sh",
        "Benchmarks/run.sh", ".ci/run",
    ].map { Build.repository + "/" + $0 }

    /// The sender as it is installed: release, Swift runtime linked statically.
    static let staticSender: Result<String, DaemonError> = {
        let scratch = Build.repository + "/.build-static"
        let build = try? run(
            "/bin/sh",
            [
                "-c",
                "cd \"$0\" && swift build -c release --product kdump-watch-send --static-swift-stdlib --scratch-path \"$1\"",
                Build.repository, scratch,
            ], timeout: 900)
        guard let build, build.status == 0 else {
            return .failure(DaemonError(message: "static build failed: \(build.map { "\($0)" } ?? "")"))
        }
        return .success(scratch + "/release/kdump-watch-send")
    }()

    @Test func scriptsPassShellcheck() throws {
        for script in Self.scripts {
            #expect(try run("/bin/bash", ["-n", script]).status == 0, "\(script)")
        }
        let result = try run("/usr/bin/shellcheck", ["-x", "-P", "SCRIPTDIR"] + Self.scripts)
        #expect(result.status == 0, "\(result.stdout)")
    }

    /// glibc's libraries and Nettle's (the MAC of signed messages, 0.3 MB): what a capture
    /// initramfs must carry besides the executable.
    @Test func theStaticSenderNeedsOnlyGlibcAndNettle() throws {
        let sender = try Self.staticSender.get()
        let ldd = try run("/usr/bin/ldd", [sender])
        let libraries = ldd.stdout.split(separator: "\n").map {
            String($0.split(separator: " ").first ?? "").trimmingCharacters(in: .whitespaces)
        }
        let glibcFamily = [
            "linux-vdso.so.1", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
            "/lib64/ld-linux-x86-64.so.2", "libnettle.so.8",
        ]
        #expect(libraries.allSatisfy(glibcFamily.contains), "\(ldd.stdout)")
        #expect(!ldd.stdout.contains("swift"))
    }

    /// A capture kernel's random pool is often not ready: a blocking getrandom(2) before the
    /// first message would delay it until it is (1.6 s under QEMU, found by `make e2e`).
    @Test func theStaticSenderNeverWaitsForTheRandomPool() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "Debian's strace")
        let sender = try Self.staticSender.get()
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let traced = try run(
            "/usr/bin/strace",
            ["-f", "-e", "trace=getrandom", sender, "-v", "-c", "1", "-p", "\(daemon.port)", "127.0.0.1"])
        #expect(traced.status == 0, "\(traced)")
        let calls = traced.stderr.split(separator: "\n").filter { $0.hasPrefix("getrandom(") }
        #expect(calls.allSatisfy { $0.contains("GRND_NONBLOCK") }, "\(traced.stderr)")
        // The arguments still arrive (the start-up code moves the environment).
        #expect(traced.stderr.contains("message sent to node '127.0.0.1'"), "\(traced.stderr)")
        #expect(try eventually { try daemon.host("127.0.0.1") != nil })
    }

    @Test func dracutPutsTheSenderAndItsNodesIntoTheCaptureInitramfs() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dracut"), "Debian's dracut-core")
        let sender = try Self.staticSender.get()
        let work = try TemporaryDirectory()
        defer { work.remove() }
        // dracut reads its modules from $dracutbasedir: a copy of the system's plus ours.
        let base = work.path + "/dracut"
        #expect(try run("/bin/cp", ["-a", "/usr/lib/dracut", base]).status == 0)
        #expect(
            try run("/bin/cp", ["-rL", Build.repository + "/etc/dracut/99kdump-watch", base + "/modules.d/"]).status
                == 0)
        let local = try run("/bin/hostname", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try
            "path /var/crash\nfence_kdump_args -p 7411 -i 2 # every two seconds\nfence_kdump_nodes node1 \(local) 192.0.2.9\n"
            .write(toFile: work.path + "/kdump.conf", atomically: true, encoding: .utf8)
        let image = work.path + "/initrd.img"
        var environment = ProcessInfo.processInfo.environment
        environment["dracutbasedir"] = base
        environment["KDUMP_CONF"] = work.path + "/kdump.conf"
        environment["KDUMP_WATCH_SEND"] = sender
        environment["IN_KDUMP"] = "1"  // as kdump-utils' mkdumprd runs dracut
        let dracut = try run(
            "/usr/bin/dracut",
            [
                "--no-kernel", "--no-hostonly", "--no-hostonly-cmdline", "-m", "base kdump-watch", "--tmpdir",
                work.path, "-f", image,
            ],
            timeout: 300, environment: environment)
        #expect(dracut.status == 0, "\(dracut.stderr)")
        let listing = try run("/usr/bin/lsinitrd", [image]).stdout
        #expect(listing.contains("usr/sbin/kdump-watch-send"))
        #expect(listing.contains("pre-pivot/50-kdump-watch-send.sh"))
        let config = try run("/usr/bin/lsinitrd", ["-f", "etc/kdump-watch-send.conf", image]).stdout
        #expect(config.contains("KDUMP_WATCH_NODES=\"node1 192.0.2.9\""), "the local node is left out: \(config)")
        #expect(config.contains("KDUMP_WATCH_ARGS=\"-p 7411 -i 2\""))
    }

    @Test func theInitramfsToolsHookBuildsItsTree() throws {
        try #require(
            FileManager.default.fileExists(atPath: "/usr/share/initramfs-tools/hook-functions"), "initramfs-tools-core")
        let sender = try Self.staticSender.get()
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let local = try run("/bin/hostname", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "NODES=\"node1 \(local) node3\"\nARGS=\"-i 2\"\n".write(
            toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        let destination = work.path + "/initramfs"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["DESTDIR"] = destination
        environment["verbose"] = "n"
        environment["KDUMP_CONF"] = "/nonexistent/kdump.conf"
        environment["KDUMP_WATCH_LIBDIR"] = Build.repository + "/etc"
        environment["KDUMP_WATCH_SEND"] = sender
        environment["KDUMP_WATCH_SEND_CONF"] = work.path + "/send.conf"
        let hook = try run(
            "/bin/sh", [Build.repository + "/etc/initramfs-tools/hooks/kdump-watch"], environment: environment)
        #expect(hook.status == 0, "\(hook)")
        let copied = [destination + "/sbin/kdump-watch-send", destination + "/usr/sbin/kdump-watch-send"]
        #expect(copied.contains { FileManager.default.isExecutableFile(atPath: $0) })
        let config = try String(contentsOfFile: destination + "/conf/kdump-watch-send.conf", encoding: .utf8)
        #expect(config.contains("KDUMP_WATCH_NODES=\"node1 node3\""))
        #expect(config.contains("KDUMP_WATCH_ARGS=\"-i 2\""))

        // Without nodes the hook adds nothing and says why.
        try "".write(toFile: work.path + "/send.conf", atomically: true, encoding: .utf8)
        let empty = work.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        environment["DESTDIR"] = empty
        let skipped = try run(
            "/bin/sh", [Build.repository + "/etc/initramfs-tools/hooks/kdump-watch"], environment: environment)
        #expect(skipped.status == 0 && skipped.stderr.contains("no nodes configured"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }
}
