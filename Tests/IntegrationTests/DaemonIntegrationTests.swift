import Foundation
import Glibc
import Testing

@Suite(.timeLimit(.minutes(2)))
struct DaemonIntegrationTests {
    @Test func statusShowsSendersFromSeveralAddressesInTheDocumentedShape() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        try UDP.send(UDP.validBigEndian, from: "127.0.0.3", port: daemon.port)
        try UDP.send(UDP.valid, from: "::1", port: daemon.port)
        try UDP.send(Array(UDP.valid.prefix(5)), from: "127.0.0.4", port: daemon.port)
        try UDP.send(UDP.valid + [0], from: "127.0.0.4", port: daemon.port)
        try UDP.send([0x40, 0x2A, 0x30, 0x1B, 2, 0, 0, 0], from: "127.0.0.4", port: daemon.port)
        try UDP.send([1, 2, 3, 4, 1, 0, 0, 0], from: "127.0.0.4", port: daemon.port)
        #expect(
            try eventually { try daemon.hosts().count == 3 && (daemon.host("127.0.0.2")?["messages"] as? Int) == 2 })

        let json = try daemon.statusJSON()
        let hosts = try #require(json["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["address"] as? String } == ["127.0.0.2", "127.0.0.3", "::1"])
        for host in hosts {
            #expect(host["state"] as? String == "dumping")
            #expect(host["node"] is NSNull)
            let firstSeen = try #require(host["first_seen"] as? String)
            #expect(firstSeen.hasSuffix("Z") && firstSeen.count == 24)
            #expect(host["last_seen"] is String)
            #expect(host["messages"] is Int)
        }
        let invalid = try #require(json["invalid"] as? [String: Int])
        #expect(
            invalid == [
                "short": 1, "long": 1, "bad_version": 1, "bad_magic": 1, "not_allowed": 0, "rate_limited": 0,
                "malformed": 0, "unknown_key": 0, "bad_mac": 0, "clock_skew": 0, "replayed": 0, "unauthenticated": 0,
            ])

        let table = try daemon.ctl(["status"])
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("HOST") == true)
        #expect(lines.contains { $0.contains("127.0.0.3") && $0.contains("dumping") && $0.contains("s ago") })
        func column(of text: String, in line: Substring) -> Int? {
            line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
        }
        let stateColumn = try #require(column(of: "STATE", in: lines[0]))
        #expect(
            lines.dropFirst().prefix(3).allSatisfy { column(of: "dumping", in: $0) == stateColumn },
            "columns are aligned")
        #expect(try daemon.ctl(["status", "127.0.0.2"]).status == 0)
        #expect(try daemon.ctl(["status", "127.0.0.9"]).status == 1)
    }

    @Test func acceptsTheRealUpstreamSenderOverIPv4AndIPv6() throws {
        let sender = try #require(Reference.sender, "upstream fence_kdump_send (scripts/reference-agents.sh)")
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let v4 = try run(sender, ["-p", "\(daemon.port)", "-c", "2", "-i", "1", "127.0.0.1"], timeout: 20)
        #expect(v4.status == 0, "\(v4)")
        let v6 = try run(sender, ["-p", "\(daemon.port)", "-f", "ipv6", "-c", "1", "-i", "1", "::1"], timeout: 20)
        #expect(v6.status == 0, "\(v6)")
        #expect(try eventually { try daemon.host("127.0.0.1")?["messages"] as? Int == 2 && daemon.host("::1") != nil })
        let wait = try daemon.ctl(["wait", "127.0.0.1", "--timeout", "5"])
        #expect(wait.status == 0, "\(wait)")
        #expect(wait.stdout.contains("in kdump since"))
    }

    @Test func freshMessagesConfirmAndStaleOnesDoNot() throws {
        let daemon = try DaemonUnderTest(["--max-age", "1"])
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        let fresh = try daemon.ctl(["wait", "127.0.0.2", "--timeout", "3"])
        #expect(fresh.status == 0, "\(fresh)")
        usleep(1_300_000)
        // The daemon's max_age (1 s) has passed: the old message must not confirm.
        let stale = try daemon.ctl(["wait", "127.0.0.2", "--timeout", "1"])
        #expect(stale.status == 1, "\(stale)")
        #expect(stale.stdout.contains("timeout after 1 seconds"))
        // An explicit, longer max_age accepts it again.
        #expect(try daemon.ctl(["wait", "127.0.0.2", "--timeout", "1", "--max-age", "60"]).status == 0)
    }

    @Test func maxAgeZeroWaitsForTheNextMessage() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        #expect(try daemon.ctl(["wait", "127.0.0.2", "--timeout", "1", "--max-age", "0"]).status == 1)
        let sender = DispatchWorkItem {
            usleep(500_000); try? UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        }
        DispatchQueue.global().async(execute: sender)
        let result = try daemon.ctl(["wait", "127.0.0.2", "--timeout", "10", "--max-age", "0"])
        #expect(result.status == 0, "\(result)")
    }

    @Test func manyConcurrentWaitsAreEachAnsweredByTheirOwnHost() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let count = 45
        var waits: [BackgroundProcess] = []
        for index in 0..<count {
            waits.append(
                try BackgroundProcess(
                    Build.path("kdump-watchctl"),
                    ["wait", "127.0.1.\(index + 1)", "--timeout", "30", "--max-age", "0", "--socket", daemon.socket]))
        }
        // Never sends: must time out although every other host does.
        let silent = try BackgroundProcess(
            Build.path("kdump-watchctl"),
            ["wait", "127.0.2.1", "--timeout", "3", "--max-age", "0", "--socket", daemon.socket])
        #expect(
            try eventually(20) {
                try daemon.ctl(["health", "--json"]).stdout.contains("\"waits_in_flight\":\(count + 1)")
            })
        for index in 0..<count { try UDP.send(UDP.valid, from: "127.0.1.\(index + 1)", port: daemon.port) }
        for (index, wait) in waits.enumerated() {
            let result = wait.finish()
            #expect(result.status == 0, "wait \(index): \(result)")
            #expect(result.stdout.contains("127.0.1.\(index + 1):"))
        }
        #expect(silent.finish().status == 1)
        let metrics = try daemon.ctl(["metrics"]).stdout
        #expect(metrics.contains("kdump_watch_waits_total{result=\"confirmed\"} \(count)"))
        #expect(metrics.contains("kdump_watch_waits_total{result=\"timeout\"} 1"))
        #expect(metrics.contains("kdump_watch_waits_in_flight 0"))
    }

    @Test func aKilledDaemonKeepsFirstSeenAcrossARestart() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        let before = try #require(try daemon.host("127.0.0.2"))
        let statePath = daemon.stateDirectory + "/state.json"
        #expect(eventually { (try? String(contentsOfFile: statePath, encoding: .utf8))?.contains("127.0.0.2") == true })
        daemon.kill9()
        try daemon.start()
        let after = try #require(try daemon.host("127.0.0.2"))
        #expect(after["first_seen"] as? String == before["first_seen"] as? String)
        #expect(after["state"] as? String == "dumping")
        // The episode goes on: same first_seen, one more message.
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2")?["messages"] as? Int == 2 })
        #expect(try daemon.host("127.0.0.2")?["first_seen"] as? String == before["first_seen"] as? String)
        // Within the same boot the restored message is still fresh enough to confirm.
        #expect(try daemon.ctl(["wait", "127.0.0.2", "--timeout", "2"]).status == 0)
        #expect(daemon.stop() == 0)
    }

    @Test func aDamagedStateFileIsMovedAsideAndTheDaemonStarts() throws {
        let directory = try TemporaryDirectory().path
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        try "{ this is not a state file".write(
            toFile: directory + "/state/state.json", atomically: true, encoding: .utf8)
        let daemon = try DaemonUnderTest([], directory: directory)
        defer { daemon.remove() }
        #expect(try daemon.hosts().isEmpty)
        #expect(daemon.log().contains("cannot load state file"))
        let files = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory)
        #expect(files.contains { $0.hasPrefix("state.json.bad-") })
    }

    @Test func junkOnTheControlSocketGetsOneErrorLineAndChangesNothing() throws {
        let daemon = try DaemonUnderTest(["--client-idle-timeout", "1"])
        defer { daemon.remove() }
        let client = try RawControlClient(path: daemon.socket)
        client.send("hello\n")
        #expect(client.readLine()?.contains("\"code\":\"bad_request\"") == true)
        client.send([0x7B, 0xFF, 0xFE, 0x0A])
        #expect(client.readLine()?.contains("bad_request") == true)
        client.send("{\"v\":1,\"op\":\"forget\",\"hosts\":[\"127.0.0.9\"]}\n{\"v\":1,\"op\":\"status\"}\n")
        #expect(client.readLine()?.contains("\"forgotten\":[]") == true)
        #expect(client.readLine()?.contains("\"hosts\":[]") == true)

        let big = try RawControlClient(path: daemon.socket)
        big.send([UInt8](repeating: 0x61, count: 100_000))
        #expect(big.readLine()?.contains("request_too_large") == true)
        #expect(big.isClosedByPeer())

        let silent = try RawControlClient(path: daemon.socket)
        silent.send("{\"v\":1,")
        #expect(silent.readLine(timeout: 5)?.contains("idle_timeout") == true)
        #expect(silent.isClosedByPeer())

        #expect(try daemon.hosts().isEmpty)
        #expect(try daemon.ctl(["health"]).status == 0)
    }

    @Test func aClientThatVanishesMidWaitIsCleanedUp() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        do {
            let client = try RawControlClient(path: daemon.socket)
            client.send("{\"v\":1,\"op\":\"wait\",\"targets\":[\"127.0.0.7\"],\"timeout\":600}\n")
            #expect(try eventually { try daemon.ctl(["health", "--json"]).stdout.contains("\"waits_in_flight\":1") })
        }
        #expect(try eventually { try daemon.ctl(["health", "--json"]).stdout.contains("\"waits_in_flight\":0") })
        #expect(daemon.log().contains("client went away"))
    }

    @Test func aSecondDaemonOnTheSamePortFailsClearly() throws {
        let first = try DaemonUnderTest()
        defer { first.remove() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let second = try run(
            Build.path("kdump-watchd"),
            ["--port", "\(first.port)", "--control-socket", directory.path + "/c.sock", "--state-dir", directory.path],
            timeout: 20)
        #expect(second.status == 1)
        #expect(second.stderr.contains("address already in use"), "\(second.stderr)")
        // Nor may a second daemon take over a live control socket.
        let third = try run(
            Build.path("kdump-watchd"),
            ["--port", "0", "--control-socket", first.socket, "--state-dir", directory.path],
            timeout: 20)
        #expect(third.status == 1)
        #expect(third.stderr.contains("already listening"), "\(third.stderr)")
        #expect(try first.ctl(["health"]).status == 0)
    }

    @Test func badConfigurationIsRejectedAtStartAndOnReload() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.path + "/kdump-watchd.conf"
        try "port = 0\nmax_age = 30\nwhat = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try run(Build.path("kdump-watchd"), ["--config", config, "--state-dir", directory.path], timeout: 20)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(config):3: unknown key 'what'"), "\(bad.stderr)")

        try "allow = 127.0.0.5\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonUnderTest(["--config", config])
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { (try daemon.statusJSON()["invalid"] as? [String: Int])?["not_allowed"] == 1 })
        #expect(try daemon.hosts().isEmpty)

        try "allow = 127.0.0.0/8\nmax_age = banana\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log().contains("configuration reload failed, keeping the current configuration") })
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { (try daemon.statusJSON()["invalid"] as? [String: Int])?["not_allowed"] == 2 })

        try "allow = 127.0.0.0/8\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log().contains("configuration reloaded") })
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })

        // Narrowed again: the entry of a sender it no longer admits is dropped and confirms
        // nothing, though its message is seconds old.
        try "allow = 127.0.0.5\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.log().contains("allow no longer admits 127.0.0.2: their entries were dropped") })
        #expect(try daemon.host("127.0.0.2") == nil)
        #expect(try daemon.ctl(["wait", "127.0.0.2", "--timeout", "1", "--max-age", "60"]).status == 1)
    }

    @Test func nodeNamesComeFromTheConfigurationAndResolveWaits() throws {
        let daemon = try DaemonUnderTest(["--nodes", "alpha=127.0.0.2,::1 beta=127.0.0.3", "--allow", "nodes"])
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "::1", port: daemon.port)
        try UDP.send(UDP.valid, from: "127.0.0.4", port: daemon.port)
        #expect(try eventually { try daemon.host("::1") != nil })
        #expect(try daemon.host("::1")?["node"] as? String == "alpha")
        #expect((try daemon.statusJSON()["invalid"] as? [String: Int])?["not_allowed"] == 1)
        let wait = try daemon.ctl(["wait", "alpha", "--timeout", "2"])
        #expect(wait.status == 0)
        #expect(wait.stdout.hasPrefix("alpha: in kdump since"))
        #expect(try daemon.ctl(["wait", "beta", "--timeout", "1"]).status == 1)
        #expect(try daemon.ctl(["status", "alpha"]).status == 0)
        let forget = try daemon.ctl(["forget", "alpha"])
        #expect(forget.status == 0 && forget.stdout.contains("forgot alpha (::1)"))
        #expect(try daemon.ctl(["forget", "alpha"]).status == 1)
        let unknown = try daemon.ctl(["wait", "no-such-node.invalid", "--timeout", "1"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("cannot resolve 'no-such-node.invalid'"))
    }

    @Test func watchStreamsEvents() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let watcher = try BackgroundProcess(
            Build.path("kdump-watchctl"), ["watch", "--json", "--socket", daemon.socket])
        defer {
            watcher.process.terminate()
            _ = watcher.finish()
        }
        #expect(try eventually { try daemon.ctl(["health", "--json"]).stdout.contains("\"control_clients\":2") })
        // The watch subscribes when its request arrives; keep sending until its events show.
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !(text.contains("\"event\":\"invalid\"") && text.contains("episode_started")) {
            try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
            try UDP.send([0], from: "127.0.0.3", port: daemon.port)
            usleep(100_000)
            text = watcher.currentOutput()
        }
        #expect(text.contains("\"event\":\"episode_started\""))
        #expect(text.contains("\"address\":\"127.0.0.2\""))
        #expect(text.contains("\"reason\":\"short\""))
    }

    @Test func commandLineExitCodes() throws {
        #expect(try run(Build.path("kdump-watchctl"), ["status", "--socket", "/nonexistent/kw.sock"]).status == 3)
        let usage = try run(Build.path("kdump-watchctl"), ["frobnicate"])
        #expect(usage.status == 2)
        #expect(try run(Build.path("kdump-watchctl"), ["wait"]).status == 2)
        #expect(try run(Build.path("kdump-watchctl"), ["wait", "x", "--timeout", "-1"]).status == 2)
        #expect(try run(Build.path("kdump-watchctl"), ["--help"]).status == 0)
        #expect(try run(Build.path("kdump-watchd"), ["--port", "nope"]).status == 2)
        #expect(try run(Build.path("kdump-watchd"), ["--bogus"]).status == 2)
        #expect(try run(Build.path("kdump-watchd"), ["--version"]).stdout.contains("0.1.0"))
    }

    @Test func sigtermShutsDownGracefullyAndPersists() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        let state = try String(contentsOfFile: daemon.stateDirectory + "/state.json", encoding: .utf8)
        #expect(state.contains("\"address\":\"127.0.0.2\""))
        #expect(daemon.log().contains("kdump-watchd stopped"))
    }

    @Test(.enabled(if: Privileges.rootWith("/usr/bin/setpriv"), "needs root and setpriv"))
    func anUnprivilegedDaemonUsesItsRuntimeDirectoryAndKeepsTheSocketToItself() throws {
        let runtime = try TemporaryDirectory()
        defer { runtime.remove() }
        chown(runtime.path, 65534, 65534)
        // Copies that other users can run: the build directory may be under one that only root
        // may enter (a checkout in a `mktemp -d` directory is).
        let tools = try TemporaryDirectory()
        defer { tools.remove() }
        chmod(tools.path, 0o755)
        for tool in ["kdump-watchd", "kdump-watchctl"] {
            try placeExecutable(Build.path(tool), at: tools.path + "/" + tool)
        }
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "XDG_RUNTIME_DIR=\(runtime.path)"]
        let daemon = try BackgroundProcess(
            "/usr/bin/setpriv", asNobody + [tools.path + "/kdump-watchd", "--port", "0"])
        defer {
            daemon.process.terminate()
            _ = daemon.finish()
        }
        let socket = runtime.path + "/kdump-watch/control.sock"
        #expect(eventually(20) { FileManager.default.fileExists(atPath: socket) })
        usleep(200_000)
        var status = stat()
        #expect(stat(socket, &status) == 0 && status.st_mode & 0o777 == 0o600 && status.st_uid == 65534)
        #expect(FileManager.default.fileExists(atPath: runtime.path + "/kdump-watch/state"))
        // Its own user reaches it without --socket; another user is refused.
        let own = try run("/usr/bin/setpriv", asNobody + [tools.path + "/kdump-watchctl", "health"])
        #expect(own.status == 0, "\(own)")
        let other = try run(
            "/usr/bin/setpriv",
            [
                "--reuid=65533", "--regid=65533", "--clear-groups", tools.path + "/kdump-watchctl", "health",
                "--socket", socket,
            ])
        #expect(other.status == 3)
        #expect(other.stderr.contains("Permission denied"))
    }

    /// `/tmp/kdump-watch-UID` (or `$XDG_RUNTIME_DIR/kdump-watch`) made first by another user is
    /// refused: a socket there could be another user's daemon posing as this one.
    @Test(.enabled(if: Privileges.rootWith("/usr/bin/setpriv"), "needs root and setpriv"))
    func anUnprivilegedDaemonRefusesARuntimeDirectoryAnotherUserOwns() throws {
        let runtime = try TemporaryDirectory()
        defer { runtime.remove() }
        chown(runtime.path, 65534, 65534)
        let planted = runtime.path + "/kdump-watch"
        #expect(mkdir(planted, 0o777) == 0)
        chmod(planted, 0o777)
        chown(planted, 65533, 65533)
        let tools = try TemporaryDirectory()
        defer { tools.remove() }
        chmod(tools.path, 0o755)
        try placeExecutable(Build.path("kdump-watchd"), at: tools.path + "/kdump-watchd")
        let result = try run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "env", "XDG_RUNTIME_DIR=\(runtime.path)",
                tools.path + "/kdump-watchd", "--port", "0",
            ], timeout: 30)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("\(planted) belongs to user 65533, not to this user (65534)"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: planted + "/control.sock"))
    }

    @Test func aFloodFromOneSenderIsRateLimitedAndOthersStillGetThrough() throws {
        let rate = 5
        let daemon = try DaemonUnderTest(["--rate-limit", "\(rate)"])
        defer { daemon.remove() }
        // Every datagram must reach the daemon for the counts below to add up, so the flood goes in
        // rounds that the daemon has accounted for before the next: 200 back to back can overflow
        // the socket's receive queue on a loaded machine, and the kernel drops the rest unseen.
        func accounted() throws -> (admitted: Int, limited: Int) {
            let status = try daemon.statusJSON()
            let limited = (status["invalid"] as? [String: Int])?["rate_limited"] ?? 0
            let hosts = status["hosts"] as? [[String: Any]] ?? []
            let flooder = hosts.first { $0["address"] as? String == "127.0.0.2" }
            return (flooder?["messages"] as? Int ?? 0, limited)
        }
        let start = Date()
        var sent = 0
        for _ in 0..<10 {
            for _ in 0..<20 { try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port) }
            sent += 20
            #expect(
                try eventually {
                    let counts = try accounted()
                    return counts.admitted + counts.limited == sent
                })
        }
        let window = Date().timeIntervalSince(start)
        try UDP.send(UDP.valid, from: "127.0.0.3", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.3") != nil })
        let (flooded, limited) = try accounted()
        // The bucket starts full (twice the rate) and refills at the rate for no longer than the window.
        let most = 2 * rate + Int((Double(rate) * window).rounded(.up))
        #expect(flooded >= 2 * rate && flooded <= most, "a burst of twice the rate, then the rate: \(flooded)")
        #expect(limited == 200 - flooded)
        #expect(
            try daemon.ctl(["metrics"]).stdout.contains(
                "kdump_watch_datagrams_invalid_total{reason=\"rate_limited\"} \(200 - flooded)"))
    }

    @Test(.enabled(if: Privileges.rootWith("/usr/bin/setpriv"), "needs root and setpriv"))
    func peersAreCheckedBySOPeerCred() throws {
        // Group "daemon" (gid 1) stands in for haclient; nobody (65534) is not in it.
        let daemon = try DaemonUnderTest(["--control-group", "daemon"])
        defer { daemon.remove() }
        var status = stat()
        #expect(stat(daemon.socket, &status) == 0 && status.st_mode & 0o777 == 0o660 && status.st_gid == 1)
        // Open the file system's doors, so that only the daemon's own check stands in the way.
        chmod(daemon.directory, 0o755)
        chmod(daemon.socket, 0o666)
        func ctl(as identity: [String]) throws -> ProcessResult {
            try run("/usr/bin/setpriv", identity + [Build.path("kdump-watchctl"), "health", "--socket", daemon.socket])
        }
        let stranger = try ctl(as: ["--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(stranger.status == 3)
        #expect(stranger.stderr.contains("permission denied: uid 65534"), "\(stranger.stderr)")
        #expect(daemon.log().contains("control client refused: uid 65534"))
        #expect(try ctl(as: ["--reuid=65534", "--regid=1", "--clear-groups"]).status == 0, "primary group")
        #expect(try ctl(as: ["--reuid=65534", "--regid=65534", "--groups=1"]).status == 0, "supplementary group")
    }

    @Test func metricsUseTheDocumentedNames() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        try UDP.send([9, 9], from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })
        let text = try daemon.ctl(["metrics"]).stdout
        for name in [
            "kdump_watch_datagrams_received_total 2", "kdump_watch_datagrams_valid_total 1",
            "kdump_watch_datagrams_invalid_total{reason=\"short\"} 1", "kdump_watch_hosts{state=\"dumping\"} 1",
            "kdump_watch_waits_in_flight", "kdump_watch_wait_duration_seconds_bucket", "kdump_watch_control_clients",
            "kdump_watch_state_writes_total", "kdump_watch_state_write_failures_total 0",
        ] {
            #expect(text.contains(name), "\(name) missing from metrics")
        }
    }
}

/// Makes `source` runnable at `destination` without ever holding it open for writing: a hard
/// link. A copy (where the two are on different file systems) is written through a descriptor
/// that child processes spawned meanwhile by parallel tests do not inherit (O_CLOEXEC); one they
/// inherited would make exec fail with ETXTBSY ("Text file busy"), as FileManager's copy did.
func placeExecutable(_ source: String, at destination: String) throws {
    if link(source, destination) == 0 { return }
    guard errno == EXDEV else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
    let descriptor = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    try bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            offset += written
        }
    }
}
