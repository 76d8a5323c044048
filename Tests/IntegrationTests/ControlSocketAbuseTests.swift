import Foundation
import Glibc
import Testing

/// The control socket under abuse (issue #7): a thousand clients at once, clients that say
/// nothing or a byte a second, a 10 MB line, half-closed sockets and vanished waiters. None of
/// them keeps another client from its answer, and none leaves a descriptor or a wait behind.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ControlSocketAbuseTests {
    /// The daemon's open descriptors, from /proc, counted without opening a control connection
    /// (whose own descriptor would be in the count or not).
    func descriptorCount(_ daemon: DaemonUnderTest) throws -> Int {
        let pid = try #require(daemon.process?.processIdentifier)
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// The count once the connections of earlier requests (the start-up `health`) are closed in
    /// the daemon too: the same count twice, 100 ms apart. Taken at once, a baseline was now and
    /// then one too high, with the last client's descriptor not yet closed.
    func settledDescriptorCount(_ daemon: DaemonUnderTest) throws -> Int {
        var count = try descriptorCount(daemon)
        while true {
            usleep(100_000)
            let next = try descriptorCount(daemon)
            if next == count { return count }
            count = next
        }
    }

    func waitsInFlight(_ daemon: DaemonUnderTest) throws -> Int? {
        try daemon.json("health")["waits_in_flight"] as? Int
    }

    @Test func aThousandClientsHoldingWaitsDelayNobodyAndLeakNothing() throws {
        let daemon = try DaemonUnderTest(["--max-clients", "1100", "--client-idle-timeout", "600"])
        defer { daemon.remove() }
        let baseline = try settledDescriptorCount(daemon)

        // 1000 connections, each with a wait for a host that never sends.
        var clients: [RawControlClient] = []
        for index in 0..<1000 {
            let client = try RawControlClient(path: daemon.socket)
            client.send(
                "{\"v\":1,\"op\":\"wait\",\"targets\":[\"127.3.\(index / 250).\(index % 250 + 1)\"],\"timeout\":600}\n")
            clients.append(client)
        }
        #expect(try eventually(30) { try waitsInFlight(daemon) == 1000 })
        #expect(try descriptorCount(daemon) >= baseline + 1000)

        // Another client is still answered, and a datagram still confirms its own wait.
        #expect(try daemon.ctl(["status"], timeout: 10).status == 0)
        let waiter = try BackgroundProcess(
            Build.path("kdump-watchctl"), ["wait", "127.4.0.1", "--timeout", "20", "--socket", daemon.socket])
        #expect(try eventually(10) { try waitsInFlight(daemon) == 1001 })
        try UDP.send(UDP.valid, from: "127.4.0.1", port: daemon.port)
        #expect(waiter.finish().status == 0)

        // All of them vanish at once: every wait and every descriptor is released.
        clients.removeAll()
        #expect(try eventually(30) { try waitsInFlight(daemon) == 0 })
        #expect(try eventually(10) { try descriptorCount(daemon) == baseline })
        #expect(try daemon.ctl(["health"]).status == 0)
        #expect(daemon.stop() == 0)
    }

    @Test func theDaemonRaisesItsOpenFileLimitAndWarnsWhenItIsStillTooLow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try BackgroundProcess(
            "/usr/bin/prlimit",
            [
                "--nofile=256:1024", Build.path("kdump-watchd"), "--port", "0", "--listen", "127.0.0.1",
                "--control-socket", directory.path + "/control.sock", "--state-dir", directory.path + "/state",
                "--max-clients", "2000",
            ])
        let socket = directory.path + "/control.sock"
        #expect(
            eventually(20) {
                (try? run(Build.path("kdump-watchctl"), ["health", "--socket", socket]))?.status == 0
            })
        let limits = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }
        #expect(openFiles?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "1024")
        daemon.process.terminate()
        let result = daemon.finish()
        #expect(
            result.stderr.contains("the open-file limit (1024) is below max_clients + 64 (2064)"), "\(result.stderr)")
    }

    /// Opens `count` connections that each run a wait for a silent host, and returns once the
    /// daemon has started every one of them (its log says so).
    func busyClients(_ count: Int, on daemon: DaemonUnderTest, base: String = "127.7.0.") throws -> [RawControlClient] {
        try (1...count).map { index in
            let client = try RawControlClient(path: daemon.socket)
            client.send("{\"v\":1,\"op\":\"wait\",\"targets\":[\"\(base)\(index)\"],\"timeout\":600}\n")
            #expect(eventually(20) { daemon.log().contains("waiting for message from '\(base)\(index)'") })
            return client
        }
    }

    @Test func whenEveryClientIsBusyANewOneIsRefusedAtOnceAndServedLater() throws {
        let daemon = try DaemonUnderTest(["--max-clients", "20", "--client-idle-timeout", "600"])
        defer { daemon.remove() }
        var holders = try busyClients(20, on: daemon)
        let refused = try RawControlClient(path: daemon.socket)
        #expect(refused.readLine()?.contains("\"code\":\"too_many_clients\"") == true, "\(daemon.log())")
        #expect(refused.isClosedByPeer())
        #expect(daemon.log().contains("control client refused: max_clients (20) reached and every client is busy"))
        // No wait was closed for it.
        for holder in holders { #expect(holder.readLine(timeout: 0.05) == nil) }
        // The slots return when the holders go.
        holders.removeAll()
        #expect(try eventually { try daemon.ctl(["status"]).status == 0 })
        #expect(daemon.stop() == 0)
    }

    @Test func silentClientsMakeRoomForANewOneOldestFirstAndWaitsAreNeverClosed() throws {
        let daemon = try DaemonUnderTest(["--max-clients", "20", "--client-idle-timeout", "600"])
        defer { daemon.remove() }
        // Nineteen fences in progress and one connection that never sends a request: the
        // situation of a monitoring script that leaks connections.
        let waits = try busyClients(19, on: daemon)
        let admitted = daemon.log().components(separatedBy: "control client admitted").count
        let silent = try RawControlClient(path: daemon.socket)
        #expect(
            eventually { daemon.log().components(separatedBy: "control client admitted").count == admitted + 1 })
        // The newcomer is served; the silent one makes room and is told why.
        let status = try daemon.ctl(["status"])
        #expect(status.status == 0, "\(status) \(daemon.log())")
        let notice = silent.readLine()
        #expect(notice?.contains("\"code\":\"idle_timeout\"") == true, "\(notice ?? "nothing")")
        #expect(notice?.contains("closed to make room for another client") == true)
        #expect(silent.isClosedByPeer())
        #expect(daemon.log().contains("closed to make room for a new one: max_clients (20) reached"))
        for wait in waits { #expect(wait.readLine(timeout: 0.05) == nil, "a wait must never be closed for this") }
        // Every silent client that arrives later is closed in turn, and counted.
        let more = try (0..<5).map { _ in try RawControlClient(path: daemon.socket) }
        #expect(try eventually(20) { try daemon.ctl(["health"]).status == 0 })
        #expect(try daemon.ctl(["metrics"]).stdout.contains("kdump_watch_control_clients_evicted_total"))
        let evicted = try daemon.ctl(["metrics"]).stdout.split(separator: "\n")
            .first { $0.hasPrefix("kdump_watch_control_clients_evicted_total ") }
        // Six arrivals for one free place: the silent one and at least four of the five later ones.
        #expect(evicted.flatMap { Double($0.split(separator: " ")[1]) }.map { $0 >= 5 } == true, "\(evicted ?? "")")
        #expect(more.filter { $0.isClosedByPeer() }.count >= 4)
        #expect(daemon.stop() == 0)
    }

    /// Found by SafetyMatrixTests: clients connecting while the daemon shut down were dropped
    /// unclosed, and NIO trapped ("Deinited NIOAsyncWriter without calling finish()").
    @Test func shuttingDownWithWaitsAndNewClientsExitsCleanly() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let waiters = try (0..<20).map { index in
            let client = try RawControlClient(path: daemon.socket)
            client.send("{\"v\":1,\"op\":\"wait\",\"targets\":[\"127.6.0.\(index + 1)\"],\"timeout\":60}\n")
            return client
        }
        #expect(try eventually { try waitsInFlight(daemon) == 20 })
        daemon.signal(SIGTERM)
        // Keep connecting while it goes down.
        var late: [RawControlClient] = []
        for _ in 0..<200 {
            guard let client = try? RawControlClient(path: daemon.socket) else { break }
            late.append(client)
        }
        withExtendedLifetime(late) { #expect(daemon.stop() == 0, "\(daemon.log())") }
        for waiter in waiters {
            #expect(waiter.readLine()?.contains("\"code\":\"shutting_down\"") == true)
        }
    }

    @Test func aByteASecondIsCutOffByTheIdleTimeout() throws {
        let daemon = try DaemonUnderTest(["--client-idle-timeout", "2"])
        defer { daemon.remove() }
        let slow = try RawControlClient(path: daemon.socket)
        let request = Array("{\"v\":1,\"op\":\"status\"}\n".utf8)
        // Each byte arrives well inside the timeout, but the request is never complete in time.
        for byte in request.prefix(6) {
            slow.send([byte])
            var poller = pollfd(fd: slow.fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 1000) > 0 { break }
        }
        let answer = slow.readLine()
        #expect(answer?.contains("\"code\":\"idle_timeout\"") == true, "\(answer ?? "nothing")")
        #expect(slow.isClosedByPeer())
        #expect(try daemon.ctl(["status"]).status == 0)
    }

    /// The daemon's resident memory, from /proc.
    func residentKilobytes(_ daemon: DaemonUnderTest) throws -> Int {
        let pid = try #require(daemon.process?.processIdentifier)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// A client pipelines 200,000 requests and reads no answer: the daemon stops reading from it
    /// once its answers back up (Documentation/design.md §6), its memory stays bounded, and
    /// other clients are answered meanwhile.
    @Test func aClientThatNeverReadsItsAnswersIsNotBufferedFor() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let before = try residentKilobytes(daemon)
        let greedy = try RawControlClient(path: daemon.socket)
        let request = Array("{\"v\":1,\"op\":\"status\"}\n".utf8)
        let total = 200_000
        let all = [UInt8]((0..<total).lazy.flatMap { _ in request })
        _ = fcntl(greedy.fd, F_SETFL, fcntl(greedy.fd, F_GETFL) | O_NONBLOCK)
        var written = 0
        // Writes until the daemon has read nothing for 3 s: it stopped reading. (Had it gone on
        // reading, and buffering the answers, every request would be written.)
        while written < all.count {
            let count = all[written...].withUnsafeBytes { Glibc.send(greedy.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                written += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK else { break }
            var poller = pollfd(fd: greedy.fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 3000) == 0 { break }
        }
        let sent = written / request.count
        #expect(sent < total / 2, "the daemon read \(sent) of \(total) requests whose answers nobody read")
        // Another client is answered at once, and the daemon did not buffer the answers.
        #expect(try daemon.ctl(["health"]).status == 0)
        let after = try residentKilobytes(daemon)
        #expect(after - before < 16 * 1024, "resident memory grew from \(before) kB to \(after) kB")
        // Reading the answers lets the daemon go on.
        _ = fcntl(greedy.fd, F_SETFL, fcntl(greedy.fd, F_GETFL) & ~O_NONBLOCK)
        let answers = greedy.readAll(timeout: 2)
        #expect(answers.hasPrefix("{"), "the answers come once the client reads them")
    }

    @Test func aTenMegabyteLineIsRefusedAfterItsFirstKilobytes() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let baseline = try settledDescriptorCount(daemon)
        let big = try RawControlClient(path: daemon.socket)
        // The daemon answers and closes long before the 10 MB are written; send() then fails.
        let descriptor = big.fd
        let writer = Thread {
            RawControlClient.send([UInt8](repeating: 0x7B, count: 10_000_000), to: descriptor)
        }
        writer.start()
        #expect(big.readLine(timeout: 10)?.contains("\"code\":\"request_too_large\"") == true)
        #expect(big.isClosedByPeer(timeout: 10))
        #expect(try daemon.ctl(["status"]).status == 0)
        #expect(try eventually { try descriptorCount(daemon) == baseline })
    }

    @Test func halfClosedClientsGetTheirAnswerAndTheirWaitIsCancelled() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        // As `echo '{"v":1,"op":"status"}' | socat - UNIX-CONNECT:…` does.
        let status = try RawControlClient(path: daemon.socket)
        status.send("{\"v\":1,\"op\":\"status\"}\n")
        status.shutdownWrite()
        #expect(status.readLine()?.contains("\"ok\":true") == true)
        #expect(status.isClosedByPeer())

        // End of stream cancels a wait (documented in control-protocol.md): nothing is left.
        let wait = try RawControlClient(path: daemon.socket)
        wait.send("{\"v\":1,\"op\":\"wait\",\"targets\":[\"127.0.0.8\"],\"timeout\":600}\n")
        #expect(try eventually { try waitsInFlight(daemon) == 1 })
        wait.shutdownWrite()
        #expect(try eventually { try waitsInFlight(daemon) == 0 })
        #expect(wait.isClosedByPeer())
    }

    @Test func invalidUTF8NULBytesAndDeepNestingGetOneErrorEachAndTheConnectionGoesOn() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        let client = try RawControlClient(path: daemon.socket)
        for junk: [UInt8] in [
            [0xC3, 0x28, 0x0A], [0x00, 0x0A], [0xED, 0xA0, 0x80, 0x0A],
            Array("{\"v\":1,\"op\":\"st\u{1B}[2J\"}\n".utf8),
            // Nesting 60 000 deep: the parser's depth limit, not the stack, ends it.
            [UInt8](repeating: 0x5B, count: 60_000) + [0x0A],
            Array("{\"v\":1,\"op\":\"status\",\"x\":".utf8) + [UInt8](repeating: 0x5B, count: 60_000) + [0x0A],
        ] {
            client.send(junk)
            let line = client.readLine()
            #expect(line?.contains("\"code\":\"bad_request\"") == true, "\(line ?? "nothing")")
            #expect(line?.contains("\u{1B}") == false)
        }
        client.send("{\"v\":1,\"op\":\"status\"}\n")
        #expect(client.readLine()?.contains("\"ok\":true") == true)
    }
}
