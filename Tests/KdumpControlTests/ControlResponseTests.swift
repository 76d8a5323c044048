import KdumpControl
import KdumpWire
import Testing

@Suite struct ControlResponseTests {
    @Test func hostReportsCarryAnExplicitNullNode() throws {
        let host = HostReport(
            address: "::1", node: nil, state: .finished, firstSeen: "1970-01-01T00:00:00.000Z",
            lastSeen: "1970-01-01T00:00:01.000Z", messages: 2, lastSeenAgeSeconds: nil)
        let report = StatusReport(hosts: [host], invalid: [.short: 3])
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
