import KdumpFenceAgent
import KdumpWire
import Testing

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
