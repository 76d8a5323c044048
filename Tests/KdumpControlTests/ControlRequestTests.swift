import KdumpControl
import KdumpState
import KdumpWire
import Testing

@Suite struct ControlRequestTests {
    func parse(_ text: String) throws(ControlError) -> ControlRequest {
        try ControlRequest.parse(Array(text.utf8))
    }

    @Test func parsesAWait() throws {
        let request = try parse(
            #"{"v":1,"op":"wait","targets":["node2","10.0.0.2"],"timeout":60,"max_age":0,"family":"ipv4","id":"7"}"#)
        #expect(request.op == .wait)
        #expect(request.targets == ["node2", "10.0.0.2"])
        #expect(request.timeout == 60)
        #expect(request.maxAge == 0)
        #expect(request.family == .ipv4)
        #expect(request.id == "7")
    }

    @Test func roundTripsThroughItsOwnEncoding() throws {
        let request = ControlRequest(op: .status, hosts: ["a"], family: .auto)
        #expect(try ControlRequest.parse(request.encodedLine().dropLast()) == request)
    }

    @Test(arguments: [
        ("", ControlErrorCode.badRequest),
        ("not json", .badRequest),
        ("[1,2]", .badRequest),
        (#"{"op":"status"}"#, .badRequest),
        (#"{"v":"1","op":"status"}"#, .badRequest),
        (#"{"v":2,"op":"status"}"#, .unsupportedVersion),
        (#"{"v":1}"#, .badRequest),
        (#"{"v":1,"op":"reboot"}"#, .badRequest),
        (#"{"v":1,"op":"wait"}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":[]}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":"node2"}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":[2]}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":[""]}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":["a"],"timeout":-1}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":["a"],"timeout":"60"}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":["a"],"max_age":1e300}"#, .badRequest),
        (#"{"v":1,"op":"wait","targets":["a"],"family":"ipx"}"#, .badRequest),
        (#"{"v":1,"op":"status","extra":true}"#, .badRequest),
        (#"{"v":1,"op":"forget"}"#, .badRequest),
        (#"{"v":1,"op":"status","id":5}"#, .badRequest),
    ])
    func rejectsMalformedRequests(text: String, code: ControlErrorCode) {
        #expect {
            try parse(text)
        } throws: { error in
            (error as? ControlError)?.code == code
        }
    }

    @Test(arguments: [
        ("not json", "request is not valid JSON"),
        ("[1,2]", "request must be a JSON object"),
        (#"{"v":1,"op":"wait","targets":"node2"}"#, #""targets" must be a list of at most 1024 strings"#),
        (#"{"v":1,"op":"wait","targets":[2]}"#, #""targets" must hold non-empty strings of at most 255 bytes"#),
        (
            #"{"v":1,"op":"wait","targets":["a"],"timeout":"60"}"#,
            #""timeout" must be a number of seconds from 0 to 604800"#
        ),
        (#"{"v":1,"op":"status","id":null}"#, #""id" must be a string"#),
        (#"{"v":1,"op":"status","extra":true}"#, #"unknown field "extra""#),
        (#"{"v":2,"op":"status"}"#, "protocol version 2 is not supported (this daemon speaks 1)"),
    ])
    func errorsNameTheFieldAndWhatIsWrong(text: String, message: String) {
        let error = #expect(throws: ControlError.self) { try parse(text) }
        #expect(error?.message == message)
    }

    @Test func aListOfMoreThan1024TargetsIsRejected() throws {
        let targets = (0...1024).map { "\"h\($0)\"" }.joined(separator: ",")
        #expect(throws: ControlError.self) { try parse(#"{"v":1,"op":"wait","targets":["# + targets + "]}") }
        let allowed = (0..<1024).map { "\"h\($0)\"" }.joined(separator: ",")
        #expect(try parse(#"{"v":1,"op":"wait","targets":["# + allowed + "]}").targets?.count == 1024)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: ControlError.self) {
            try ControlRequest.parse([0x7B, 0xFF, 0xFE, 0x7D])
        }
    }
}

@Suite struct ControlResponseTests {
    @Test func hostReportsCarryAnExplicitNullNode() throws {
        let entry = HostEntry(
            address: HostAddress("::1")!, node: nil, firstSeen: WallClockTime(nanosecondsSinceEpoch: 0),
            lastSeen: WallClockTime(nanosecondsSinceEpoch: 1_000_000_000), lastSeenMonotonic: nil, messages: 2)
        let report = StatusReport(
            hosts: [HostReport(HostStatus(entry: entry, state: .finished, age: nil))], invalid: [.short: 3])
        let text = String(decoding: ControlCoding.line(report), as: UTF8.self)
        #expect(text.contains(#""node":null"#))
        #expect(text.contains(#""address":"::1""#))
        #expect(text.contains(#""first_seen":"1970-01-01T00:00:00.000Z""#))
        #expect(text.contains(#""last_seen":"1970-01-01T00:00:01.000Z""#))
        #expect(text.contains(#""state":"finished""#))
        #expect(text.contains(#""messages":2"#))
        #expect(text.contains(#""short":3"#) && text.contains(#""not_allowed":0"#))
        #expect(text.hasSuffix("}\n"))
        #expect(try ControlCoding.decode(StatusReport.self, from: Array(text.utf8)) == report)
    }

    @Test func errorsDecodeAsDaemonErrors() {
        let line = ControlCoding.line(
            ControlResponse<EmptyPayload>(op: .wait, id: nil, error: ControlError(.unresolvable, "cannot resolve 'x'")))
        #expect {
            try ControlClient.decodeResponse(line, as: WaitReport.self)
        } throws: { error in
            guard case .daemon(let protocolError)? = error as? ControlClientError else { return false }
            return protocolError.code == .unresolvable
        }
    }

    @Test func payloadsAreFlattenedIntoTheEnvelope() throws {
        let line = ControlCoding.line(ControlResponse(op: .metrics, id: "9", payload: MetricsReport(text: "x 1\n")))
        let text = String(decoding: line, as: UTF8.self)
        #expect(text == #"{"v":1,"ok":true,"op":"metrics","id":"9","text":"x 1\n"}"# + "\n")
        #expect(try ControlClient.decodeResponse(line, as: MetricsReport.self).text == "x 1\n")
    }
}

@Suite struct LineFramerTests {
    @Test func splitsLinesAcrossChunks() {
        var framer = LineFramer(maximumLineLength: 100)
        #expect(framer.append(Array("ab".utf8)).isEmpty)
        #expect(
            framer.append(Array("c\nde\r\n\nf".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8)), .line([])])
        #expect(framer.pendingByteCount == 1)
        #expect(framer.append(Array("\n".utf8)) == [.line(Array("f".utf8))])
    }

    @Test func reportsOverlongLinesWithOrWithoutANewline() {
        var framer = LineFramer(maximumLineLength: 4)
        #expect(framer.append(Array("abcd\n".utf8)) == [.line(Array("abcd".utf8))])
        #expect(framer.append(Array("abcde".utf8)) == [.tooLong])
        var other = LineFramer(maximumLineLength: 4)
        #expect(other.append(Array("ok\nabcdef\n".utf8)) == [.line(Array("ok".utf8)), .tooLong])
    }

    /// Found by fuzz-control-request: a line of the maximum length ending in CRLF was refused
    /// when the `\r` and the `\n` arrived in different reads.
    @Test func aFullLengthLineWhoseCRLFIsSplitIsAccepted() {
        var framer = LineFramer(maximumLineLength: 4)
        #expect(framer.append(Array("abcd\r".utf8)).isEmpty)
        #expect(framer.append(Array("\n".utf8)) == [.line(Array("abcd".utf8))])
        #expect(framer.append(Array("abcd\rx".utf8)) == [.tooLong])
    }
}

@Suite struct HumanFormatTests {
    @Test(arguments: [(0.4, "0s ago"), (12, "12s ago"), (65, "1m05s ago"), (7322, "2h02m ago"), (90_000, "1d01h ago")])
    func formatsAges(seconds: Double, expected: String) {
        #expect(HumanFormat.age(seconds) == expected)
    }

    @Test func unknownAges() {
        #expect(HumanFormat.age(nil) == "unknown")
    }

    @Test func alignsColumns() {
        #expect(HumanFormat.table([["A", "BB", "C"], ["long", "x", "y"]]) == "A     BB  C\nlong  x   y")
    }
}
