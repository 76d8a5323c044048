import Glibc
import KdumpSender
import KdumpWire
import Testing

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
            resolve: { (name, _) throws(AddressResolver.Failure) in
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
        // Port 0, which the command line never allows: sendto fails with EINVAL every time.
        options.port = 0
        let statistics = Sender(
            options: options, resolve: { _, _ in [HostAddress("127.0.0.1")!] }, writeLine: { _ in }
        ).run()
        #expect(statistics.rounds == 2)
        #expect(statistics.sendErrors == 2)
    }
}
