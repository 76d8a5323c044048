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
