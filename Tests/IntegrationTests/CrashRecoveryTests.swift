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
}
