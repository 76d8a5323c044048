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
        ["--socket=relative"], ["--fallback=maybe"], ["stray"], ["-n", ",,"], ["-n", "bad name"], ["--verbose=1"],
    ])
    func rejectsBadArguments(arguments: [String]) {
        #expect(throws: AgentInputError.self) { try parse(arguments) }
    }
}

@Suite struct AgentStdinTests {
    func parse(_ text: String) throws(AgentInputError) -> AgentInvocation {
        try AgentInputParser.parse(stdin: text)
    }

    @Test func readsWhatPacemakerSends() throws {
        let invocation = try parse(
            "action=off\nnodename=node2\nport=node2\nplug=node2\nnodeid=2\nagent=fence_kdump_watch\nipport=7410\n")
        #expect(invocation.options.action == .off)
        #expect(invocation.options.nodenames == ["node2"])
        #expect(invocation.unknownKeys.isEmpty)
    }

    @Test func keysAreCaseInsensitiveAndCommentsAndBlanksAreSkipped() throws {
        let invocation = try parse(
            "# a comment\n\n  NodeName = a,b \r\nTIMEOUT=7\nFamily=ipv4\nverbose\nmax_age=12.5\nfallback=none\nsocket=/run/x.sock\n"
        )
        #expect(invocation.options.nodenames == ["a", "b"])
        #expect(invocation.options.timeout == 7)
        #expect(invocation.options.family == .ipv4)
        #expect(invocation.options.verbose == 1)
        #expect(invocation.options.maxAge == 12.5)
        #expect(invocation.options.fallback == .none)
        #expect(invocation.options.socket == "/run/x.sock")
    }

    @Test func optionIsTheOldNameOfAction() throws {
        #expect(try parse("option=metadata").options.action == .metadata)
        #expect(try parse("option=validate-all").options.action == .validateAll)
    }

    @Test func verboseTakesBooleanValues() throws {
        #expect(try parse("verbose=1").options.verbose == 1)
        #expect(try parse("verbose=yes").options.verbose == 1)
        #expect(try parse("verbose=0").options.verbose == 0)
        #expect(try parse("verbose=false").options.verbose == 0)
    }

    @Test func unknownKeysAreCollectedNotFatal() throws {
        let invocation = try parse("action=off\nnodename=n\ncolour=blue\npcmk_host_map=a:b\nCRM_meta_timeout=20000\n")
        #expect(invocation.unknownKeys == ["colour"])
    }

    @Test func emptyInputLeavesDefaults() throws {
        #expect(try parse("").options == AgentOptions())
    }

    @Test(arguments: [
        "ipport=0", "ipport=", "timeout=abc", "family=ipx", "action=on", "nodename=", "nodename", "socket=x",
        "max_age=-1",
    ])
    func rejectsBadValues(text: String) {
        #expect(throws: AgentInputError.self) { try parse(text) }
    }

    @Test func errorsNameTheKeyAndLine() {
        #expect {
            try parse("action=off\nipport=99999")
        } throws: { error in
            "\(error)".contains("stdin line 2 (ipport)")
        }
    }
}
