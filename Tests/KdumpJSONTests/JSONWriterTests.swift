import FoundationEssentials
import KdumpJSON
import KdumpTestSupport
import Testing

@Suite struct JSONWriterTests {
    private struct Inner: Decodable, JSONObjectWritable, Equatable {
        var big: UInt64
        var small: Int64
        var ratio: Double

        func writeMembers(to writer: inout JSONWriter) {
            writer.member(CodingKeys.big, big)
            writer.member(CodingKeys.small, small)
            writer.member(CodingKeys.ratio, ratio)
        }
    }

    private enum Colour: String, Decodable { case red, green }

    private struct Report: Decodable, JSONObjectWritable, Equatable {
        var name: String
        var node: String?
        var age: Double?
        var count: Int
        var ok: Bool
        var colour: Colour
        var tags: [String]
        var inners: [Inner]
        var inner: Inner?

        func writeMembers(to writer: inout JSONWriter) {
            writer.member(CodingKeys.name, name)
            writer.member(CodingKeys.node, node)
            writer.member(CodingKeys.age, age)
            writer.member(CodingKeys.count, count)
            writer.member(CodingKeys.ok, ok)
            writer.member(CodingKeys.colour, colour)
            writer.member(CodingKeys.tags, tags)
            writer.member(CodingKeys.inners, inners)
            writer.member(CodingKeys.inner, inner)
        }
    }

    /// An envelope that flattens its payload's members into its own object.
    private struct Envelope: JSONObjectWritable {
        var version: Int
        var payload: Inner?

        func writeMembers(to writer: inout JSONWriter) {
            writer.key("v")
            writer.value(version)
            payload?.writeMembers(to: &writer)
        }
    }

    private func text(_ value: some JSONObjectWritable) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func writesCompactJSONInCallOrder() {
        let report = Report(
            name: "node1", node: nil, age: 1.5, count: 3, ok: true, colour: .green, tags: ["a", "b/c", ""],
            inners: [.init(big: .max, small: .min, ratio: 0.001), .init(big: 0, small: 0, ratio: -2)], inner: nil)
        #expect(
            text(report)
                == #"{"name":"node1","node":null,"age":1.5,"count":3,"ok":true,"colour":"green","tags":["a","b/c",""],"#
                + #""inners":[{"big":18446744073709551615,"small":-9223372036854775808,"ratio":0.001},"#
                + #"{"big":0,"small":0,"ratio":-2}],"inner":null}"#)
    }

    @Test func anEnvelopeFlattensItsPayload() {
        #expect(
            text(Envelope(version: 1, payload: Inner(big: 1, small: -2, ratio: 2)))
                == #"{"v":1,"big":1,"small":-2,"ratio":2}"#)
        #expect(text(Envelope(version: 1, payload: nil)) == #"{"v":1}"#)
    }

    @Test func emptyContainers() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.null()
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[{},[],null]")
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" and backslash \\", #""quote \" and backslash \\""#),
        ("line\nbreak\r\ttab", #""line\nbreak\r\ttab""#),
        ("\u{0}\u{1B}[2J\u{1F}\u{7F}", "\"\\u0000\\u001b[2J\\u001f\u{7F}\""),
        ("ünïcödé → ✓ 🦀", #""ünïcödé → ✓ 🦀""#),
    ])
    func stringsAreEscapedAsJSONRequires(input: String, expected: String) throws {
        var writer = JSONWriter()
        writer.value(input)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
        #expect(try JSONDecoder().decode(String.self, from: Data(writer.bytes)) == input)
    }

    @Test func numbersSurviveARoundTrip() throws {
        let values: [Double] = [
            0, -0.5, 1, 1e-7, 123_456.789, 1e15, 1e300, -2.5e-300, 0.1 + 0.2, 4_503_599_627_370_497,
        ]
        var writer = JSONWriter()
        writer.array(values) { $0.value($1) }
        #expect(try JSONDecoder().decode([Double].self, from: Data(writer.bytes)) == values)
        var integral = JSONWriter()
        integral.array([1.0, 2.5, -3.0]) { $0.value($1) }
        #expect(String(decoding: integral.bytes, as: UTF8.self) == "[1,2.5,-3]")
    }

    @Test func nonFiniteNumbersAreNull() {
        var writer = JSONWriter()
        writer.array([Double.nan, .infinity, -.infinity]) { $0.value($1) }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[null,null,null]")
    }

    @Test func aLineIsOneObjectAndOneNewline() {
        let line = Inner(big: 1, small: 2, ratio: 3).jsonLine()
        #expect(line == Array(#"{"big":1,"small":2,"ratio":3}"#.utf8) + [0x0A])
    }

    @Test func arbitraryValuesDecodeToThemselves() throws {
        var generator = SeededGenerator(seed: 0x6B64_756D_7002)
        func randomText() -> String {
            let scalars = (0..<Int.random(in: 0..<40, using: &generator)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0..<0x1_1000, using: &generator))
            }
            return String(String.UnicodeScalarView(scalars))
        }
        for _ in 0..<300 {
            let report = Report(
                name: randomText(), node: Bool.random(using: &generator) ? nil : randomText(),
                age: Bool.random(using: &generator) ? nil : Double.random(in: -1e6...1e6, using: &generator),
                count: .random(in: .min ... .max, using: &generator),
                ok: .random(using: &generator), colour: Bool.random(using: &generator) ? .red : .green,
                tags: [randomText(), ""],
                inners: [],
                inner: .init(
                    big: .random(in: 0 ... .max, using: &generator),
                    small: .random(in: .min ... .max, using: &generator),
                    ratio: .random(in: 0...1, using: &generator))
            )
            let decoded = try JSONDecoder().decode(Report.self, from: Data(report.jsonLine()))
            #expect(decoded == report)
        }
    }
}
