import Foundation
import Glibc
import Testing

/// The daemon as a system service: units, socket activation, readiness protocol, man pages,
/// `make install`.
@Suite(.timeLimit(.minutes(3)))
struct SystemServiceTests {
    static let units = [
        "kdump-watchd.service", "kdump-watchd.socket", "kdump-watch-rebuild.path", "kdump-watch-rebuild.service",
    ]

    /// The units with ExecStart pointing at the built daemon and the repository's scripts, in a
    /// directory of their own.
    func unitsForTesting(in directory: String) throws {
        for unit in Self.units {
            let text = try String(contentsOfFile: Build.repository + "/systemd/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/sbin/kdump-watchd", with: Build.path("kdump-watchd"))
                .replacingOccurrences(
                    of: "/usr/libexec/kdump-watch/kdump-watch-rebuild",
                    with: Build.repository + "/etc/kdump-watch-rebuild")
            try text.write(toFile: directory + "/" + unit, atomically: true, encoding: .utf8)
        }
    }

    @Test func unitsVerifyAndTheServiceIsHardened() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try unitsForTesting(in: directory.path)
        let verify = try run(
            "/usr/bin/systemd-analyze",
            ["verify", "--man=no"] + Self.units.map { directory.path + "/" + $0 })
        #expect(verify.status == 0, "\(verify.stderr)")

        let root = directory.path + "/root"
        try FileManager.default.createDirectory(atPath: root + "/etc/systemd/system", withIntermediateDirectories: true)
        try unitsForTesting(in: root + "/etc/systemd/system")
        let security = try run(
            "/usr/bin/systemd-analyze",
            ["security", "--offline=yes", "--root=\(root)", "--no-pager", "kdump-watchd.service"])
        let line = try #require(security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(Double(line.split(separator: ":")[1].split(separator: " ")[0]))
        #expect(score <= 2.5, "\(line)")
    }

    @Test func socketActivationOfBothSocketsWithReadinessAndWatchdog() throws {
        let work = try TemporaryDirectory()
        defer { work.remove() }
        let notifications = try NotifySocket(path: work.path + "/notify")
        let port = try TestPorts.udp()
        let socket = work.path + "/control.sock"
        // Two nested systemd-socket-activate: the outer passes the datagram socket on.
        let activator = "/usr/bin/systemd-socket-activate"
        let script = "NOTIFY_SOCKET=\"$1\" WATCHDOG_USEC=400000 exec \"$2\" --state-dir \"$3\" --log-level debug"
        let process = try BackgroundProcess(
            activator,
            [
                "-l", "127.0.0.1:\(port)", "--datagram", "--fdname=udp", "--", activator, "-l", socket,
                "--fdname=control", "--",
                "/bin/sh", "-c", script, "sh", notifications.path, Build.path("kdump-watchd"), work.path,
            ])
        // systemd-socket-activate starts the service on the first datagram, as systemd would.
        #expect(
            try eventually(20) {
                try UDP.send(UDP.valid, from: "127.0.0.2", port: port)
                return (try? run(Build.path("kdump-watchctl"), ["status", "127.0.0.2", "--socket", socket]))?.status
                    == 0
            })
        let received = notifications.receive(until: { $0.contains { $0.hasPrefix("WATCHDOG=1") } }, timeout: 10)
        #expect(received.first?.hasPrefix("READY=1\nSTATUS=") == true, "\(received)")
        #expect(received.contains { $0 == "WATCHDOG=1" })
        let health = try run(Build.path("kdump-watchctl"), ["health", "--json", "--socket", socket])
        #expect(health.stdout.contains("\"port\":\(port)"))
        process.process.terminate()
        let result = process.finish()
        #expect(result.stderr.contains("(from systemd)"), "\(result.stderr)")
        let stopping = notifications.receive(until: { $0.contains { $0.hasPrefix("STOPPING=1") } }, timeout: 5)
        #expect(stopping.contains { $0.hasPrefix("STOPPING=1") }, "\(stopping)")
    }

    @Test func manPagesRenderCleanlyAndDocumentEveryOptionAndKey() throws {
        let pages = Build.repository + "/Documentation/man/"
        func render(_ page: String) throws -> String {
            let lint = try run("/usr/bin/groff", ["-man", "-ww", "-z", pages + page])
            #expect(lint.status == 0 && lint.stderr.isEmpty, "\(page): \(lint.stderr)")
            return try run("/bin/sh", ["-c", "groff -man -Tascii -P-cbou \"$0\"", pages + page]).stdout
        }
        func longOptions(_ text: String) -> Set<String> {
            Set(
                text.split(whereSeparator: { " ,=[]\n\t".contains($0) }).filter { $0.hasPrefix("--") && $0.count > 2 }
                    .map(String.init))
        }
        let daemonPage = try render("kdump-watchd.8")
        for option in longOptions(try run(Build.path("kdump-watchd"), ["--help"]).stdout) {
            #expect(daemonPage.contains(option), "kdump-watchd(8) lacks \(option)")
        }
        let confPage = try render("kdump-watchd.conf.5")
        let keys = try run(
            "/bin/sh",
            ["-c", "grep -o '^#[a-z_]* =' \"$0\" | tr -d '# ='", Build.repository + "/etc/kdump-watchd.conf"]
        )
        .stdout.split(separator: "\n")
        #expect(keys.count >= 14)
        for key in keys { #expect(confPage.contains(String(key)), "kdump-watchd.conf(5) lacks \(key)") }

        let ctlPage = try render("kdump-watchctl.8")
        for command in ["status", "watch", "wait", "forget", "metrics", "health", "check"] {
            #expect(ctlPage.contains(command))
            for option in longOptions(try run(Build.path("kdump-watchctl"), [command, "--help"]).stdout) {
                #expect(ctlPage.contains(option), "kdump-watchctl(8) lacks \(option) of \(command)")
            }
        }
        let agentPage = try render("fence_kdump_watch.8")
        for option in longOptions(try run(Build.path("fence_kdump_watch"), ["-h"]).stdout) {
            #expect(agentPage.contains(option), "fence_kdump_watch(8) lacks \(option)")
        }
        let senderPage = try render("kdump-watch-send.8")
        for option in longOptions(try run(Build.sender, ["-h"]).stdout) {
            #expect(senderPage.contains(option), "kdump-watch-send(8) lacks \(option)")
        }
    }

    @Test func makeInstallPlacesEverythingAndKeepsEditedConfiguration() throws {
        let destination = try TemporaryDirectory()
        defer { destination.remove() }
        let common = [
            "-C", Build.repository, "-s", "DESTDIR=\(destination.path)", "PREFIX=/usr", "BUILD=\(Build.directory)",
            "SENDER=\(Build.sender)",
        ]
        #expect(try run("/usr/bin/make", ["install-files"] + common).status == 0)
        for path in [
            "/usr/sbin/kdump-watchd", "/usr/sbin/kdump-watchctl", "/usr/sbin/fence_kdump_watch",
            "/usr/sbin/kdump-watch-send",
            "/usr/lib/systemd/system/kdump-watchd.service", "/usr/lib/systemd/system/kdump-watchd.socket",
            "/usr/lib/systemd/system/kdump-watch-rebuild.path", "/usr/lib/systemd/system/kdump-watch-rebuild.service",
            "/usr/libexec/kdump-watch/kdump-watch-rebuild", "/usr/share/man/man8/kdump-watchd.8",
            "/usr/share/man/man5/kdump-watchd.conf.5",
            "/usr/share/man/man8/fence_kdump_watch.8", "/usr/share/man/man8/kdump-watchctl.8",
            "/usr/share/man/man8/kdump-watch-send.8", "/etc/kdump-watch/kdump-watchd.conf",
            "/usr/lib/dracut/modules.d/99kdump-watch/module-setup.sh",
            "/usr/lib/dracut/modules.d/99kdump-watch/kdump-watch-post.sh",
            "/usr/lib/dracut/modules.d/99kdump-watch/kdump-watch-capture.sh", "/etc/initramfs-tools/hooks/kdump-watch",
            "/etc/initramfs-tools/scripts/init-premount/kdump-watch", "/etc/initramfs-tools/conf.d/kdump-watch",
            "/usr/share/kdump-watch/kdump-watch-capture.sh", "/usr/libexec/kdump-watch/kdump-watch-report",
            "/usr/libexec/kdump-watch/kdump-watch-dump",
            "/usr/lib/systemd/system/kdump-tools-dump.service.d/kdump-watch.conf",
            "/usr/share/kdump-watch/prometheus/kdump-watch.rules.yml",
        ] {
            #expect(FileManager.default.fileExists(atPath: destination.path + path), "\(path) missing")
        }
        let report = try run(destination.path + "/usr/libexec/kdump-watch/kdump-watch-report", [])
        #expect(report.status == 2 && report.stderr.hasPrefix("usage: kdump-watch-report"), "\(report)")
        let rebuild = try String(
            contentsOfFile: destination.path + "/usr/libexec/kdump-watch/kdump-watch-rebuild", encoding: .utf8)
        #expect(rebuild.contains("/usr/share/kdump-watch/kdump-watch-nodes.sh}"), "the installed settings script")
        let rebuildService = try String(
            contentsOfFile: destination.path + "/usr/lib/systemd/system/kdump-watch-rebuild.service", encoding: .utf8)
        #expect(rebuildService.contains("ExecStart=/usr/libexec/kdump-watch/kdump-watch-rebuild --if-changed\n"))
        let dropIn = try String(
            contentsOfFile: destination.path + "/usr/lib/systemd/system/kdump-tools-dump.service.d/kdump-watch.conf",
            encoding: .utf8)
        #expect(dropIn.contains("ExecStart=\nExecStart=/usr/libexec/kdump-watch/kdump-watch-dump\n"))
        let config = destination.path + "/etc/kdump-watch/kdump-watchd.conf"
        try "max_age = 10s\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try run("/usr/bin/make", ["install-files"] + common).status == 0)
        #expect(
            try String(contentsOfFile: config, encoding: .utf8) == "max_age = 10s\n", "an upgrade keeps the edited file"
        )
        #expect(FileManager.default.fileExists(atPath: config + ".dist"))
        #expect(try run("/usr/bin/make", ["uninstall"] + common).status == 0)
        for path in [
            "/usr/sbin/kdump-watchd", "/usr/libexec/kdump-watch/kdump-watch-report",
            "/usr/libexec/kdump-watch/kdump-watch-rebuild", "/usr/lib/systemd/system/kdump-watch-rebuild.path",
            "/usr/libexec/kdump-watch/kdump-watch-dump",
            "/usr/lib/systemd/system/kdump-tools-dump.service.d/kdump-watch.conf", "/usr/share/kdump-watch",
        ] {
            #expect(!FileManager.default.fileExists(atPath: destination.path + path), "\(path) left behind")
        }
        #expect(FileManager.default.fileExists(atPath: config), "uninstall keeps the configuration")
    }
}

/// A Unix datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        let status = withUnixSocketAddress(path) { bind(descriptor, $0, $1) }
        guard status == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit { close(descriptor) }

    private var collected: [String] = []

    /// Messages received so far, reading until `done` holds or `timeout` passes.
    func receive(until done: ([String]) -> Bool, timeout: Double) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while !done(collected) && Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { collected.append(String(decoding: buffer[..<count], as: UTF8.self)) }
        }
        return collected
    }
}
