import KdumpTestSupport
import KdumpWire
import Testing

/// The version 2 codec against Documentation/protocol.md §4, byte by byte.
@Suite struct SignedMessageTests {
    /// The example of protocol.md §4: node-a dumping, key 00 01 … 1f (key id 0x63).
    static let example = SignedMessage(
        phase: .dumping, keyID: 0x63, nonce: 0x0102_0304_0506_0708, sequence: 7,
        timestamp: 1_796_212_800_000_000_000, nodeName: "node-a")
    static var exampleDatagram: [UInt8] { ProtocolExample.datagram }

    func parse(_ bytes: [UInt8]) -> Result<SignedMessage.Header, InvalidDatagramReason> {
        bytes.withUnsafeBytes { SignedMessage.Header.parse($0) }
    }

    @Test func theSignedBytesAreLaidOutAsDocumented() {
        let datagram = Self.exampleDatagram
        #expect(datagram.count == 65 + 6)
        #expect(Self.example.signedBytes == Array(datagram.prefix(39)))
        #expect(Self.example.datagram(mac: datagram.suffix(32)) == datagram)
    }

    @Test func parsingReadsEveryFieldInPlace() throws {
        let datagram = Self.exampleDatagram
        let header = try parse(datagram).get()
        #expect(header.phase == .dumping)
        #expect(header.keyID == 0x63)
        #expect(header.nonce == 0x0102_0304_0506_0708)
        #expect(header.sequence == 7)
        #expect(header.timestamp == 1_796_212_800_000_000_000)
        #expect(header.nameRange == 33..<39)
        #expect(header.macRange == 39..<71)
        #expect(datagram.withUnsafeBytes { header.nodeName(in: $0) } == "node-a")
    }

    @Test func everyShapeItDoesNotExpectIsMalformed() {
        let good = Self.exampleDatagram
        func changed(_ offset: Int, _ value: UInt8) -> [UInt8] {
            var bytes = good
            bytes[offset] = value
            return bytes
        }
        let cases: [(String, [UInt8])] = [
            ("one byte too many", good + [0]),
            ("one byte too few", Array(good.dropLast())),
            ("flags not zero", changed(11, 1)),
            ("high flag byte", changed(10, 0x80)),
            ("phase 0", changed(8, 0)),
            ("phase 5", changed(8, 5)),
            ("name length 0", changed(32, 0)),
            ("name length 65", changed(32, 65)),
            ("name length beyond the datagram", changed(32, 7)),
            ("a space in the name", changed(35, 0x20)),
            ("a slash in the name", changed(33, UInt8(ascii: "/"))),
            ("a NUL in the name", changed(38, 0)),
            ("header alone", Array(good.prefix(33))),
        ]
        for (name, bytes) in cases {
            #expect(parse(bytes) == .failure(.malformed), "\(name)")
        }
    }

    @Test func everyPhaseAndTheLongestNameParse() throws {
        for phase in SignedMessage.Phase.allCases {
            var message = Self.example
            message.phase = phase
            message.nodeName = String(repeating: "n", count: 64)
            let datagram = message.datagram(mac: [UInt8](repeating: 0xAA, count: 32))
            #expect(datagram.count == 129)
            #expect(try parse(datagram).get().phase == phase)
        }
    }

    @Test func onlyTheNetworkOrderMagicWithVersionTwoIsVersionTwo() {
        #expect(Self.exampleDatagram.withUnsafeBytes { SignedMessage.isVersion2($0) })
        #expect(!KdumpDatagram.littleEndianV1.withUnsafeBytes { SignedMessage.isVersion2($0) })
        #expect(![0x1B, 0x30, 0x2A, 0x40, 0, 0, 0, 1].withUnsafeBytes { SignedMessage.isVersion2($0) })
        #expect(![0x40, 0x2A, 0x30, 0x1B, 2, 0, 0, 0].withUnsafeBytes { SignedMessage.isVersion2($0) })
        #expect(![0x1B, 0x30, 0x2A, 0x40, 0, 0, 0].withUnsafeBytes { SignedMessage.isVersion2($0) })
    }

    @Test func nodeNamesAreOneToSixtyFourSafeBytes() {
        #expect(SignedMessage.isValidNodeName("node-a.example_1"))
        #expect(SignedMessage.isValidNodeName(String(repeating: "x", count: 64)))
        #expect(!SignedMessage.isValidNodeName(String(repeating: "x", count: 65)))
        #expect(!SignedMessage.isValidNodeName(""))
        #expect(!SignedMessage.isValidNodeName("node a"))
        #expect(!SignedMessage.isValidNodeName("nöde"))
    }

    @Test func phasesHaveTheirNames() {
        #expect(SignedMessage.Phase.allCases.map(\.description) == ["started", "dumping", "finished", "failed"])
        #expect(SignedMessage.Phase(name: "failed") == .failed)
        #expect(SignedMessage.Phase(name: "done") == nil)
        #expect(SignedMessage.Phase.allCases.filter(\.endsEpisode) == [.finished, .failed])
    }
}
