import KdumpWire
import Testing

@Suite struct KdumpDatagramTests {
    @Test func littleEndianMessageIsValid() {
        #expect(KdumpDatagram.classify([0x40, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]) == .valid(.littleEndian))
        #expect(KdumpDatagram.classify(KdumpDatagram.littleEndianV1) == .valid(.littleEndian))
    }

    @Test func bigEndianMessageIsValid() {
        #expect(KdumpDatagram.classify([0x1B, 0x30, 0x2A, 0x40, 0x00, 0x00, 0x00, 0x01]) == .valid(.bigEndian))
    }

    @Test func mixedByteOrderIsRejected() {
        // Little-endian magic with a big-endian version word and vice versa.
        #expect(KdumpDatagram.classify([0x40, 0x2A, 0x30, 0x1B, 0x00, 0x00, 0x00, 0x01]) == .invalid(.badVersion))
        #expect(KdumpDatagram.classify([0x1B, 0x30, 0x2A, 0x40, 0x01, 0x00, 0x00, 0x00]) == .invalid(.badVersion))
    }

    @Test(arguments: 0..<8) func shortDatagramsAreRejected(length: Int) {
        #expect(KdumpDatagram.classify(KdumpDatagram.littleEndianV1.prefix(length)) == .invalid(.short))
    }

    @Test(arguments: [9, 12, 16, 1500]) func longDatagramsAreRejected(length: Int) {
        let bytes = KdumpDatagram.littleEndianV1 + [UInt8](repeating: 0, count: length - 8)
        #expect(KdumpDatagram.classify(bytes) == .invalid(.long))
    }

    @Test func wrongMagicIsRejected() {
        #expect(KdumpDatagram.classify([0x41, 0x2A, 0x30, 0x1B, 0x01, 0x00, 0x00, 0x00]) == .invalid(.badMagic))
        #expect(KdumpDatagram.classify([UInt8](repeating: 0, count: 8)) == .invalid(.badMagic))
        #expect(KdumpDatagram.classify([UInt8](repeating: 0xFF, count: 8)) == .invalid(.badMagic))
    }

    @Test(arguments: [UInt32(0), 2, 0xFFFF_FFFF, 0x0100_0000])
    func otherVersionsAreRejected(version: UInt32) {
        let little = [0x40, 0x2A, 0x30, 0x1B] + (0..<4).map { UInt8(truncatingIfNeeded: version >> (8 * $0)) }
        #expect(KdumpDatagram.classify(little) == .invalid(.badVersion))
        let big = [0x1B, 0x30, 0x2A, 0x40] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: version >> (8 * $0)) }
        #expect(KdumpDatagram.classify(big) == .invalid(.badVersion))
    }

    @Test func everySingleBitFlipOfAValidMessageIsRejected() {
        for bit in 0..<64 {
            var bytes = KdumpDatagram.littleEndianV1
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            guard case .invalid = KdumpDatagram.classify(bytes) else {
                Issue.record("bit \(bit) flipped still classified valid")
                continue
            }
        }
    }

    @Test func reasonsHaveTheirMetricNames() {
        #expect(
            InvalidDatagramReason.allCases.map(\.rawValue) == [
                "short", "long", "bad_magic", "bad_version", "not_allowed", "rate_limited", "malformed",
                "unknown_key", "bad_mac", "clock_skew", "replayed", "unauthenticated",
            ])
    }
}
