import KdumpFenceAgent
import KdumpWire
import Testing

@Suite struct AgentArgumentTests {
    func parse(_ arguments: [String]) throws(AgentInputError) -> AgentOptions {
        try AgentInputParser.parse(arguments: arguments).options
    }

    /// Found by fuzz-agent-input: the error quoted the option's value with its control
    /// characters, and a `\r` would split the agent's one-line error in Pacemaker's log.
    @Test func errorsQuotingTheInputStayOneLine() {
        let supported = "(supported: off, reboot, monitor, metadata, validate-all)"
        #expect(throws: AgentInputError(#"unsupported action 'metaCdata\r\u{07}' "# + supported)) {
            try parse(["-o", "metaCdata\r\u{07}"])
        }
        #expect(throws: AgentInputError(#"unsupported action 'x\u{1B}[2J' "# + supported)) {
            try AgentInputParser.parse(stdin: "action=x\u{1B}[2J\n")
        }
    }

    /// A value outside an option's choices is refused with one line that lists them; any letter
    /// case names a choice.
    @Test func choicesAreListedWhenAValueIsNotOne() throws {
        #expect(throws: AgentInputError("stdin line 1 (family): 'ipx' is not one of auto, ipv4, ipv6")) {
            try AgentInputParser.parse(stdin: "family=ipx\n")
        }
        #expect(throws: AgentInputError("stdin line 1 (fallback): 'maybe' is not one of listen, none")) {
            try AgentInputParser.parse(stdin: "fallback=maybe\n")
        }
        #expect(throws: AgentInputError("stdin line 1 (monitor_readiness): 'never' is not one of warn, fail")) {
            try AgentInputParser.parse(stdin: "monitor_readiness=never\n")
        }
        let options = try AgentInputParser.parse(stdin: "family=IPv6\nfallback=None\nmonitor_readiness=FAIL\n").options
        #expect(options.family == .ipv6 && options.fallback == FallbackMode.none && options.monitorReadiness == .fail)
    }

    @Test func defaultsMatchUpstream() throws {
        let options = try parse([])
        #expect(options.ipport == 7410)
        #expect(options.family == .auto)
        #expect(options.action == .off)
        #expect(options.timeout == 60)
        #expect(options.verbose == 0)
        #expect(options.maxAge == nil)
        #expect(options.fallback == .listen)
    }

    @Test func acceptsEveryGetoptForm() throws {
        let expected = ["node1", "10.0.0.2"]
        #expect(try parse(["-n", "node1,10.0.0.2"]).nodenames == expected)
        #expect(try parse(["-nnode1,10.0.0.2"]).nodenames == expected)
        #expect(try parse(["--nodename=node1,10.0.0.2"]).nodenames == expected)
        #expect(try parse(["--nodename", "node1,10.0.0.2"]).nodenames == expected)
        let options = try parse([
            "-vv", "-p7411", "-f", "ipv6", "-o", "REBOOT", "-t", "5", "--max-age=0", "--socket", "/tmp/s",
            "--fallback=none",
        ])
        #expect(options.verbose == 2)
        #expect(options.ipport == 7411)
        #expect(options.family == .ipv6)
        #expect(options.action == .reboot)
        #expect(options.timeout == 5)
        #expect(options.maxAge == 0)
        #expect(options.socket == "/tmp/s")
        #expect(options.fallback == .none)
    }

    @Test func helpAndVersion() throws {
        #expect(try AgentInputParser.parse(arguments: ["-h"]).printHelp)
        #expect(try AgentInputParser.parse(arguments: ["--version"]).printVersion)
    }

    @Test(arguments: [
        ["-x"], ["--bogus"], ["-n"], ["--nodename"], ["-p", "0"], ["-p", "70000"], ["-p", "x"], ["-f", "ipx"],
        ["-o", "on"], ["-o", "status"], ["-t", "0"], ["-t", "-5"], ["-t", "1.5"], ["--max-age=-1"], ["--max-age=1e9"],
        ["--socket=relative"], ["--fallback=maybe"], ["--monitor-readiness=off"], ["stray"], ["-n", ",,"],
        ["-n", "bad name"], ["--verbose=1"],
    ])
    func rejectsBadArguments(arguments: [String]) {
        #expect(throws: AgentInputError.self) { try parse(arguments) }
    }
}
