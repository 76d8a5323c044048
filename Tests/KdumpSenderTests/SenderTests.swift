import Glibc
import KdumpCommandLine
import KdumpSender
import KdumpWire
import Testing

@Suite struct SenderCommandLineTests {
    func options(_ arguments: [String]) throws(SenderUsageError) -> SenderOptions {
        guard case .send(let options) = try SenderCommandLine.parse(arguments) else {
            throw SenderUsageError("not a send command")
        }
        return options
    }

    @Test func upstreamDefaults() throws {
        let parsed = try options(["node1"])
        #expect(parsed.port == 7410)
        #expect(parsed.family == .auto)
        #expect(parsed.count == 0)
        #expect(parsed.interval == 10)
        #expect(parsed.nodes == ["node1"])
    }

    @Test func acceptsGetoptFormsAndOperandsAnywhere() throws {
        let parsed = try options([
            "node1", "-p7411", "--family=ipv6", "-c", "3", "--interval", "2", "-vv", "node2", "--", "-odd",
        ])
        #expect(parsed.port == 7411)
        #expect(parsed.family == .ipv6)
        #expect(parsed.count == 3)
        #expect(parsed.interval == 2)
        #expect(parsed.verbose == 2)
        #expect(parsed.nodes == ["node1", "node2", "-odd"])
    }

    @Test func helpAndVersion() throws {
        #expect(try SenderCommandLine.parse(["-h"]) == .help)
        #expect(try SenderCommandLine.parse(["--version", "node"]) == .version)
    }

    @Test(arguments: [
        [], ["-p", "abc", "n"], ["-p", "0", "n"], ["-f", "ipx", "n"], ["-c", "-1", "n"], ["-i", "0", "n"], ["-x", "n"],
        ["--bogus", "n"], ["-p"], ["--count=2"],
    ])
    func rejectsBadCommandLines(arguments: [String]) {
        #expect(throws: SenderUsageError.self) { try SenderCommandLine.parse(arguments) }
    }

    @Test func errorsQuoteUpstreamWording() {
        #expect(throws: SenderUsageError("invalid ipport 'abc'")) { try SenderCommandLine.parse(["-p", "abc", "n"]) }
        #expect(throws: SenderUsageError("invalid interval '0'")) { try SenderCommandLine.parse(["-i", "0", "n"]) }
        #expect(throws: SenderUsageError("unsupported family 'ipx'")) {
            try SenderCommandLine.parse(["-f", "ipx", "n"])
        }
    }
}

@Suite struct GetoptParserTests {
    let options = [
        GetoptOption(long: "name", short: "n", takesValue: true),
        GetoptOption(long: "verbose", short: "v", takesValue: false),
    ]

    @Test func tokenizesLikeGetoptLong() throws {
        #expect(
            try GetoptParser.tokenize(
                ["-vnx", "a", "--name", "y", "--verbose", "--name=z", "--", "-v"], options: options) == [
                    .option("verbose", value: nil, spelled: "-v"), .option("name", value: "x", spelled: "-n"),
                    .operand("a"),
                    .option("name", value: "y", spelled: "--name"),
                    .option("verbose", value: nil, spelled: "--verbose"),
                    .option("name", value: "z", spelled: "--name"), .operand("-v"),
                ])
    }

    @Test(arguments: [["-x"], ["--nam"], ["-n"], ["--name"], ["--verbose=1"]])
    func rejects(arguments: [String]) {
        #expect(throws: GetoptError.self) { try GetoptParser.tokenize(arguments, options: options) }
    }
}

/// A UDP socket bound on loopback that collects what arrives.
final class TestListener {
    let descriptor: Int32
    let port: Int

    init(v6: Bool = false) throws {
        let descriptor = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.descriptor = descriptor
        var length: socklen_t
        var bound: Bool
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            port = Int(UInt16(bigEndian: address.sin6_port))
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
        }
        guard bound else { throw SenderUsageError("bind failed") }
    }

    deinit { close(descriptor) }

    /// Every datagram that is waiting now.
    func drain() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 { return datagrams }
            datagrams.append(Array(buffer[..<count]))
        }
    }
}

@Suite struct SenderTests {
    @Test func sendsExactlyTheLittleEndianV1BytesToEveryAddress() throws {
        let v4 = try TestListener()
        let v6 = try TestListener(v6: true)
        var options = SenderOptions()
        options.count = 1
        options.nodes = ["127.0.0.1"]
        options.port = v4.port
        Sender(options: options).run()
        #expect(v4.drain() == [[0x40, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]])

        // A name with two addresses gets the message on both.
        var both = SenderOptions()
        both.count = 1
        both.nodes = ["dual"]
        both.port = v6.port
        let statistics = Sender(options: both, resolve: { _, _ in [HostAddress("::1")!, HostAddress("127.0.0.1")!] })
            .run()
        #expect(statistics.sent == 2)
        #expect(v6.drain() == [KdumpDatagram.littleEndianV1])
    }

    @Test func aNameThatResolvesLateIsPickedUpInALaterRound() throws {
        let listener = try TestListener()
        var options = SenderOptions()
        options.count = 3
        options.interval = 1
        options.verbose = 1
        options.nodes = ["late-node"]
        options.port = listener.port
        nonisolated(unsafe) var attempts = 0
        nonisolated(unsafe) var lines: [String] = []
        let statistics = Sender(
            options: options,
            resolve: { name, _ in
                attempts += 1
                guard attempts >= 3 else { throw AddressResolver.Failure(name: name, reason: "not yet") }
                return [HostAddress("127.0.0.1")!]
            },
            writeLine: { lines.append($0) }
        ).run()
        #expect(statistics.unresolved == 2)
        #expect(statistics.sent == 1)
        #expect(listener.drain().count == 1)
        #expect(lines.filter { $0.contains("failed to get node 'late-node'") }.count == 1, "logged once: \(lines)")
        #expect(lines.contains("[debug]: node 'late-node' resolves now"))
    }

    @Test func sendErrorsAreCountedNotFatal() {
        var options = SenderOptions()
        options.count = 2
        options.interval = 1
        options.nodes = ["unreachable"]
        // Broadcast without SO_BROADCAST: sendto fails with EACCES every time.
        let statistics = Sender(
            options: options, resolve: { _, _ in [HostAddress("255.255.255.255")!] }, writeLine: { _ in }
        ).run()
        #expect(statistics.rounds == 2)
        #expect(statistics.sendErrors == 2)
    }
}
