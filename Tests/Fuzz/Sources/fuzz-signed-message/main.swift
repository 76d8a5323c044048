import FuzzSupport
import KdumpWire

/// The version 2 decoder against an oracle written from Documentation/protocol.md §4: a datagram
/// parses exactly when its length, name length, phase, flags and name bytes are right, every
/// field reads back as the bytes say, and the message re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignedMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    func word(_ offset: Int, _ count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt64($1) }
    }
    let nameBytes = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8))
    let isVersion2 = bytes.count >= 8 && word(0, 4) == 0x1B30_2A40 && word(4, 4) == 2
    let result = bytes.withUnsafeBytes { SignedMessage.Header.parse($0) }
    Fuzz.require(
        bytes.withUnsafeBytes { SignedMessage.isVersion2($0) } == isVersion2, "isVersion2 disagrees for \(bytes)")
    var valid = false
    if isVersion2 && bytes.count > 32 {
        let length = Int(bytes[32])
        valid =
            (1...64).contains(length) && bytes.count == 65 + length && (1...4).contains(bytes[8])
            && word(10, 2) == 0 && bytes[33..<(33 + length)].allSatisfy(nameBytes.contains)
    }
    switch result {
    case .failure(let reason):
        Fuzz.require(!valid && reason == .malformed, "\(bytes) refused as \(reason)")
    case .success(let header):
        Fuzz.require(valid, "\(bytes) accepted")
        Fuzz.require(
            header.phase.rawValue == bytes[8] && header.keyID == bytes[9] && header.nonce == word(12, 8)
                && UInt64(header.sequence) == word(20, 4) && header.timestamp == word(24, 8),
            "fields of \(bytes) read as \(header)")
        let name = bytes.withUnsafeBytes { header.nodeName(in: $0) }
        let message = SignedMessage(
            phase: header.phase, keyID: header.keyID, nonce: header.nonce, sequence: header.sequence,
            timestamp: header.timestamp, nodeName: name)
        Fuzz.require(message.datagram(mac: bytes[header.macRange]) == bytes, "\(bytes) does not re-encode")
    }
    return 0
}
