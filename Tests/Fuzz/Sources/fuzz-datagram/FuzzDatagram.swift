import FuzzSupport
import KdumpWire

/// The datagram decoder against an oracle written independently of it: exactly the two byte
/// orders of "magic, version 1" are valid, and the reason for anything else follows from its
/// length and first word.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatagram(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let verdict = KdumpDatagram.classify(bytes)
    let little: [UInt8] = [0x40, 0x2A, 0x30, 0x1B]
    let big: [UInt8] = [0x1B, 0x30, 0x2A, 0x40]
    let expected: KdumpDatagram.Verdict
    if bytes.count < 8 {
        expected = .invalid(.short)
    } else if bytes.count > 8 {
        expected = .invalid(.long)
    } else if Array(bytes[0..<4]) == little {
        expected = Array(bytes[4...]) == [1, 0, 0, 0] ? .valid(.littleEndian) : .invalid(.badVersion)
    } else if Array(bytes[0..<4]) == big {
        expected = Array(bytes[4...]) == [0, 0, 0, 1] ? .valid(.bigEndian) : .invalid(.badVersion)
    } else {
        expected = .invalid(.badMagic)
    }
    Fuzz.require(verdict == expected, "\(bytes): \(verdict), expected \(expected)")
    // The daemon classifies views into its receive buffers: a slice must agree.
    Fuzz.require(KdumpDatagram.classify(bytes[...]) == verdict, "a slice of \(bytes) is classified differently")
    return 0
}
