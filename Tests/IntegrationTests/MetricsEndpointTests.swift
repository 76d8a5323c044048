import Foundation
import Glibc
import KdumpWire
import Synchronization
import Testing

/// The HTTP `/metrics` endpoint of `metrics_listen`: what Prometheus reads from it (checked by
/// the real `promtool`), what everything else gets, and that neither a slowloris nor a flood of
/// bad requests keeps the control socket or a real scrape from their answers.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MetricsEndpointTests {
    static let promtool = "/usr/bin/promtool"

    /// The endpoints the daemon reports in `health`, as (host, port).
    static func endpoints(_ daemon: DaemonUnderTest) throws -> [(host: String, port: Int)] {
        let listeners = try daemon.json("health")["metrics"] as? [[String: Any]] ?? []
        return listeners.compactMap { listener in
            guard let host = listener["address"] as? String, let port = listener["port"] as? Int else { return nil }
            return (host, port)
        }
    }

    /// One request, written as given; the whole answer, as the daemon closes after it.
    static func exchange(_ request: String, host: String, port: Int) throws -> String {
        let client = try RawControlClient(host: host, port: port)
        client.send(request)
        return client.readAll()
    }

    static func get(_ path: String, host: String, port: Int, method: String = "GET") throws -> (
        head: String, body: String
    ) {
        let answer = try Self.exchange("\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n", host: host, port: port)
        let parts = answer.components(separatedBy: "\r\n\r\n")
        return (parts[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func promtoolCheck(_ text: String, in directory: String) throws -> ProcessResult {
        #expect(FileManager.default.isExecutableFile(atPath: Self.promtool), "promtool: scripts/install-deps.sh test")
        let file = directory + "/scrape.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return try run("/bin/sh", ["-c", "\(Self.promtool) check metrics < \(file)"])
    }

    @Test func itIsOffByDefault() throws {
        let daemon = try DaemonUnderTest()
        defer { daemon.remove() }
        #expect(try daemon.json("health")["metrics"] as? [Any] != nil)
        #expect(try Self.endpoints(daemon).isEmpty)
        #expect(!daemon.log().contains("http://"))
    }

    @Test func getMetricsServesPrometheusTextThatPromtoolAcceptsOnIPv4AndIPv6() throws {
        let daemon = try DaemonUnderTest(["--metrics-listen", "127.0.0.1:0,[::1]:0"])
        defer { daemon.remove() }
        let listening = try Self.endpoints(daemon)
        #expect(listening.map(\.host) == ["127.0.0.1", "::1"])
        #expect(daemon.log().contains("metrics http://127.0.0.1:\(listening[0].port)/metrics"))
        #expect(try daemon.ctl(["health"]).stdout.contains("metrics: http://127.0.0.1:\(listening[0].port)/metrics"))

        try UDP.send(UDP.valid, from: "127.7.0.1", port: daemon.port)
        #expect(try eventually { try daemon.host("127.7.0.1") != nil })
        for (host, port) in listening {
            let (head, body) = try Self.get("/metrics", host: host, port: port)
            #expect(head.hasPrefix("HTTP/1.1 200 OK"), "\(head)")
            #expect(head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
            #expect(head.contains("Connection: close"))
            #expect(head.contains("Content-Length: \(body.utf8.count)"))
            #expect(body.contains("kdump_watch_datagrams_valid_total 1"), "\(body)")
            #expect(body.contains("kdump_watch_episodes_started_total 1"))
            let check = try Self.promtoolCheck(body, in: daemon.directory)
            #expect(check.status == 0, "\(check)")
        }
        // The same text as the control socket's `metrics`, but for what moved in between.
        let names = { (text: String) in
            Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") })
        }
        #expect(
            names(try Self.get("/metrics", host: listening[0].host, port: listening[0].port).body)
                == names(try daemon.ctl(["metrics"]).stdout))
        // A query string is part of a scrape URL Prometheus may build; HEAD has no body.
        #expect(try Self.get("/metrics?x=1", host: "127.0.0.1", port: listening[0].port).head.hasPrefix("HTTP/1.1 200"))
        let head = try Self.get("/metrics", host: "127.0.0.1", port: listening[0].port, method: "HEAD")
        #expect(head.head.hasPrefix("HTTP/1.1 200") && head.body.isEmpty, "\(head)")
        #expect(daemon.stop() == 0)
    }

    @Test func otherPathsAre404OtherMethods405AndMalformedHTTPIs400AndClosed() throws {
        let daemon = try DaemonUnderTest(["--metrics-listen", "127.0.0.1:0"])
        defer { daemon.remove() }
        let port = try #require(try Self.endpoints(daemon).first).port
        for path in ["/", "/metrics/", "/metricsx", "/status", "/../etc/passwd"] {
            let answer = try Self.get(path, host: "127.0.0.1", port: port)
            #expect(answer.head.hasPrefix("HTTP/1.1 404 Not Found"), "\(path): \(answer)")
        }
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let answer = try Self.get("/metrics", host: "127.0.0.1", port: port, method: method)
            #expect(answer.head.hasPrefix("HTTP/1.1 405 Method Not Allowed"), "\(method): \(answer)")
            #expect(answer.head.contains("Allow: GET, HEAD"))
        }
        for garbage in ["GARBAGE\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n"] {
            let answer = try Self.exchange(garbage, host: "127.0.0.1", port: port)
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request"), "\(garbage.debugDescription): \(answer)")
        }
        // A header far beyond what a scrape sends: refused, and the connection closed.
        let huge = try Self.exchange(
            "GET /metrics HTTP/1.1\r\nX: \(String(repeating: "a", count: 200_000))\r\n\r\n", host: "127.0.0.1",
            port: port)
        #expect(huge.isEmpty || huge.hasPrefix("HTTP/1.1 4"), "\(huge.prefix(200))")
        #expect(try Self.get("/metrics", host: "127.0.0.1", port: port).head.hasPrefix("HTTP/1.1 200"))
        #expect(daemon.stop() == 0)
    }

    @Test func aSlowlorisAndABadRequestFloodKeepNeitherTheControlSocketNorAScrapeFromTheirAnswers() throws {
        let daemon = try DaemonUnderTest([
            "--metrics-listen", "127.0.0.1:0", "--max-clients", "16", "--client-idle-timeout", "3",
        ])
        defer { daemon.remove() }
        let port = try #require(try Self.endpoints(daemon).first).port
        // Slowloris: twice max_clients connections, each with half a request, kept open.
        let slow = try (0..<32).map { _ in
            let client = try RawControlClient(host: "127.0.0.1", port: port)
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n")
            return client
        }
        // A flood of bad requests from another thread, all the while.
        let flooding = Switch()
        let flood = Thread {
            while flooding.isOn {
                guard let client = try? RawControlClient(host: "127.0.0.1", port: port) else { continue }
                client.send("BREW /pot HTCPCP/1.0\r\n\u{0}\u{0}\r\n\r\n")
                _ = client.readAll(timeout: 1)
            }
        }
        flood.start()
        defer { flooding.turnOff() }
        for _ in 0..<5 {
            #expect(try daemon.ctl(["health"], timeout: 10).status == 0)
            // The newcomer makes the oldest slow connection give up its place.
            let scrape = try Self.get("/metrics", host: "127.0.0.1", port: port)
            #expect(scrape.head.hasPrefix("HTTP/1.1 200"), "\(scrape.head)")
        }
        // Every slow connection is closed: to make room, or at client_idle_timeout.
        #expect(slow.allSatisfy { $0.isClosedByPeer(timeout: 20) })
        flooding.turnOff()
        #expect(try daemon.ctl(["health"]).status == 0)
        #expect(daemon.stop() == 0)
    }

    @Test func aBadValueOrAnEndpointInUseIsOneLineAndNoDaemon() throws {
        for (value, message) in [
            ("127.0.0.1", "'127.0.0.1' is not ADDRESS:PORT"), ("::1:9810", "write an IPv6 address in brackets"),
            ("localhost:9810", "'localhost' is not a numeric IP address"),
            ("127.0.0.1:http", "'http' is not a TCP port"), ("127.0.0.1:70000", "'70000' is not a TCP port"),
        ] {
            let result = try run(Build.path("kdump-watchd"), ["--metrics-listen", value, "--port", "0"], timeout: 20)
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(value): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        // A TCP port this test holds.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        let held = HostAddress("127.0.0.1")!.withSocketAddress(port: 0) { bind(holder, $0, $1) } == 0
        #expect(held && listen(holder, 1) == 0)
        let port = try #require(HostAddress.localPort(ofSocket: holder))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try run(
            Build.path("kdump-watchd"),
            [
                "--metrics-listen", "127.0.0.1:\(port)", "--port", "0", "--control-socket", directory.path + "/c.sock",
                "--state-dir", directory.path,
            ], timeout: 20)
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("cannot bind metrics_listen 127.0.0.1:\(port): address already in use"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/c.sock"))
    }
}

/// A flag another thread reads.
final class Switch: Sendable {
    private let state = Mutex(true)
    var isOn: Bool { state.withLock { $0 } }
    func turnOff() { state.withLock { $0 = false } }
}
