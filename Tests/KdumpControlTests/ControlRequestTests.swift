import KdumpControl
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
