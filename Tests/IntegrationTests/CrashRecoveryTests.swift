import Foundation
import Glibc
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
        for round in 1...Self.rounds {
            let killAt = Date().addingTimeInterval(Double.random(in: 0.02...1.5))
            while Date() < killAt {
                try UDP.send(UDP.valid, from: hosts.randomElement()!, port: daemon.port)
                messagesSent += 1
                usleep(UInt32.random(in: 500...5000))
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

    @Test func anUnwritableStateDirectoryIsSurvivedAndRecovered() throws {
        try #require(
            getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv")
        // As root every directory is writable: run the daemon as nobody and take its rights away.
        let work = try TemporaryDirectory()
        defer {
            chmod(work.path + "/state", 0o700)
            work.remove()
        }
        let state = work.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chown(work.path, 65534, 65534)
        chown(state, 65534, 65534)
        let socket = work.path + "/control.sock"
        let port = try freeUDPPort()
        let daemon = try BackgroundProcess(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", Build.path("kdump-watchd"), "--port", "\(port)",
                "--control-socket", socket, "--state-dir", state,
            ])
        defer {
            daemon.process.terminate()
            _ = daemon.finish()
        }
        func ctl(_ arguments: [String]) throws -> ProcessResult {
            try run(Build.path("kdump-watchctl"), arguments + ["--socket", socket])
        }
        #expect(eventually(20) { (try? ctl(["health"]))?.status == 0 })
        chmod(state, 0o500)
        try UDP.send(UDP.valid, from: "127.6.0.1", port: port)
        #expect(try eventually { try ctl(["health", "--json"]).stdout.contains("\"state_writable\":false") })
        // Still answering from memory, and counting the failures.
        #expect(try ctl(["wait", "127.6.0.1", "--timeout", "2"]).status == 0)
        #expect(try !ctl(["metrics"]).stdout.contains("kdump_watch_state_write_failures_total 0"))
        try UDP.send(UDP.valid, from: "127.6.0.2", port: port)
        #expect(try eventually { try ctl(["status", "127.6.0.2"]).status == 0 })
        chmod(state, 0o700)
        try UDP.send(UDP.valid, from: "127.6.0.3", port: port)
        #expect(try eventually { try ctl(["health", "--json"]).stdout.contains("\"state_writable\":true") })
        #expect(
            eventually {
                let text = (try? String(contentsOfFile: state + "/state.json", encoding: .utf8)) ?? ""
                return ["127.6.0.1", "127.6.0.2", "127.6.0.3"].allSatisfy { text.contains("\"\($0)\"") }
            })
        daemon.process.terminate()
        let output = daemon.finish()
        #expect(output.stderr.components(separatedBy: "cannot write state file").count - 1 == 1, "logged once")
        #expect(output.stderr.contains("is writable again"))
    }
}
