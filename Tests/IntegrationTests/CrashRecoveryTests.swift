import Foundation
import Glibc
import KdumpTestSupport
import Testing

/// `kill -9` at random moments while datagrams stream in: the state file must always load and
/// no episode may lose its `first_seen`. `KDUMP_WATCH_KILL_ROUNDS` sets the rounds (CI: 10;
/// `make soak`: 100).
@Suite(.timeLimit(.minutes(10)))
struct CrashRecoveryTests {
    static var rounds: Int {
        ProcessInfo.processInfo.environment["KDUMP_WATCH_KILL_ROUNDS"].flatMap(Int.init) ?? 10
    }

    @Test func killNineAtRandomMomentsNeverLosesAnEpisode() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let hosts = (1...5).map { "127.5.0.\($0)" }
        for host in hosts { try UDP.send(UDP.valid, from: host, port: daemon.port) }
        let statePath = daemon.stateDirectory + "/state.json"
        // Every episode start is on disk before the first kill.
        #expect(
            eventually(10) {
                let text = (try? String(contentsOfFile: statePath, encoding: .utf8)) ?? ""
                return hosts.allSatisfy { text.contains("\"\($0)\"") }
            })
        var firstSeen: [String: String] = [:]
        for host in hosts { firstSeen[host] = try daemon.host(host)?["first_seen"] as? String }
        #expect(firstSeen.count == hosts.count)

        var messagesSent = 0
        // Seeded: the moments and the senders are the same in every run.
        var generator = SeededGenerator(seed: 0x6B64_756D_7003)
        for round in 1...Self.rounds {
            let killAt = Date().addingTimeInterval(Double.random(in: 0.02...1.5, using: &generator))
            while Date() < killAt {
                try UDP.send(UDP.valid, from: hosts.randomElement(using: &generator)!, port: daemon.port)
                messagesSent += 1
                usleep(UInt32.random(in: 500...5000, using: &generator))
            }
            daemon.kill9()
            try daemon.start()
            let log = daemon.log()
            #expect(!log.contains("cannot load state file"), "round \(round): the state file was damaged")
            for host in hosts {
                let entry = try daemon.host(host)
                #expect(entry?["first_seen"] as? String == firstSeen[host], "round \(round): \(host) lost its episode")
                #expect(entry?["state"] as? String == "dumping", "round \(round): \(host)")
            }
        }
        #expect(messagesSent > Self.rounds)
    }

    @Test(.enabled(if: Privileges.rootWith("/usr/bin/setpriv"), "needs root and setpriv"))
    func anUnwritableStateDirectoryIsSurvivedAndRecovered() throws {
        // As root every directory is writable: run the daemon as nobody and take its rights away.
        let work = try TemporaryDirectory()
        let state = work.path + "/state"
        defer {
            chmod(state, 0o700)
            work.remove()
        }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chown(work.path, 65534, 65534)
        chown(state, 65534, 65534)
        try survivesAStateDirectoryFault(
            work: work.path, runAs: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
            breakIt: { chmod(state, 0o500) }, repair: { chmod(state, 0o700) })
    }

    @Test(.enabled(if: Privileges.isRoot, "mounting a small tmpfs needs root"))
    func aFullStateFileSystemIsSurvivedAndRecovered() throws {
        let work = try TemporaryDirectory()
        let state = work.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let mounted = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "kdump-watch-test", state])
        try #require(mounted.status == 0, "mount tmpfs: \(mounted)")
        defer {
            _ = try? run("/bin/umount", [state])
            work.remove()
        }
        let filler = state + "/filler"
        try survivesAStateDirectoryFault(
            work: work.path, runAs: [],
            breakIt: {
                // Fill the file system to the last block.
                _ = try? run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4k"])
            },
            repair: { unlink(filler) })
    }

    /// Runs the daemon on `work/state`, breaks the directory with `breakIt` once a first state
    /// file is written, and checks that the daemon goes on answering from memory, logs the
    /// failure once, counts it, keeps the last good state file, and catches up after `repair`.
    func survivesAStateDirectoryFault(
        work: String, runAs prefix: [String], breakIt: () -> Void, repair: () -> Void
    ) throws {
        let state = work + "/state"
        let socket = work + "/control.sock"
        // Port 0: the daemon binds a free port and health says which; no port is chosen here.
        let command =
            prefix + [
                Build.path("kdump-watchd"), "--port", "0", "--control-socket", socket, "--state-dir", state,
            ]
        let daemon = try BackgroundProcess(command[0], Array(command.dropFirst()))
        defer {
            daemon.process.terminate()
            _ = daemon.finish()
        }
        func ctl(_ arguments: [String]) throws -> ProcessResult {
            try run(Build.path("kdump-watchctl"), arguments + ["--socket", socket])
        }
        func stateFile() -> String { (try? String(contentsOfFile: state + "/state.json", encoding: .utf8)) ?? "" }
        var port = 0
        #expect(
            eventually(20) {
                guard let health = try? ctl(["health", "--json"]), health.status == 0,
                    let json = try? JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as? [String: Any],
                    let udp = json["udp"] as? [[String: Any]], let bound = udp.first?["port"] as? Int
                else { return false }
                port = bound
                return true
            }, "kdump-watchd did not start: \(daemon.currentError())")
        try #require(port != 0)
        try UDP.send(UDP.valid, from: "127.6.0.1", port: port)
        #expect(eventually { stateFile().contains("\"127.6.0.1\"") })
        breakIt()
        try UDP.send(UDP.valid, from: "127.6.0.2", port: port)
        #expect(try eventually { try ctl(["health", "--json"]).stdout.contains("\"state_writable\":false") })
        // Still answering from memory, counting the failures, and the last good file intact.
        #expect(try ctl(["wait", "127.6.0.2", "--timeout", "2"]).status == 0)
        #expect(try !ctl(["metrics"]).stdout.contains("kdump_watch_state_write_failures_total 0"))
        try UDP.send(UDP.valid, from: "127.6.0.3", port: port)
        #expect(try eventually { try ctl(["status", "127.6.0.3"]).status == 0 })
        #expect(stateFile().contains("\"127.6.0.1\"") && stateFile().hasSuffix("}\n"))
        repair()
        try UDP.send(UDP.valid, from: "127.6.0.4", port: port)
        #expect(try eventually { try ctl(["health", "--json"]).stdout.contains("\"state_writable\":true") })
        #expect(
            eventually {
                let text = stateFile()
                return ["127.6.0.1", "127.6.0.2", "127.6.0.3", "127.6.0.4"].allSatisfy { text.contains("\"\($0)\"") }
            })
        daemon.process.terminate()
        let output = daemon.finish()
        #expect(output.stderr.components(separatedBy: "cannot write state file").count - 1 == 1, "logged once")
        #expect(output.stderr.contains("is writable again"))
    }
}
