import KdumpAuth
import KdumpTestSupport
import KdumpWire
import Testing

/// MAC checks and key derivation, against vectors computed independently (Python's `hmac` and
/// `hashlib`; Documentation/protocol.md §4 and §6 show the same ones).
@Suite struct MessageKeysTests {
    static let key = AuthKey(bytes: Array(0..<32))!
    static let otherKey = AuthKey(bytes: [UInt8](repeating: 0x11, count: 32))!
    static var example: [UInt8] { ProtocolExample.datagram }

    func verify(_ bytes: [UInt8], with keys: [AuthKey]) -> Result<MessageKeys.Verified, InvalidDatagramReason> {
        bytes.withUnsafeBytes { MessageKeys(keys).verify($0) }
    }

    @Test func keyIDsAreTheFirstByteOfTheKeysSHA256() {
        #expect(MessageKeys.keyID(of: Self.key) == 0x63)
        #expect(MessageKeys.keyID(of: Self.otherKey) == 0x02)
    }

    @Test func signingGivesTheDocumentedDatagram() {
        let message = SignedMessage(
            phase: .dumping, keyID: 0, nonce: 0x0102_0304_0506_0708, sequence: 7,
            timestamp: 1_796_212_800_000_000_000, nodeName: "node-a")
        #expect(MessageKeys.datagram(of: message, key: Self.key) == Self.example)
    }

    @Test func aGenuineMessageIsVerifiedAndNamesItsNode() throws {
        let verified = try verify(Self.example, with: [Self.key]).get()
        #expect(verified.nodeName == "node-a")
        #expect(verified.header.sequence == 7)
    }

    @Test func everyChangedByteIsRefused() {
        let good = Self.example
        for offset in good.indices {
            var bytes = good
            bytes[offset] ^= 0x01
            let result = verify(bytes, with: [Self.key])
            #expect(throws: InvalidDatagramReason.self, "byte \(offset)") { try result.get() }
            // The key id byte decides the reason; every other change is a shape or the MAC.
            if offset == 9 { #expect(result == .failure(.unknownKey)) }
            if offset >= 12 && offset < 32 || offset >= 39 { #expect(result == .failure(.badMAC), "byte \(offset)") }
        }
    }

    @Test func anotherClustersKeyIsAnUnknownKeyAndASharedIDIsABadMAC() {
        let foreign = MessageKeys.datagram(
            of: SignedMessage(phase: .started, keyID: 0, nonce: 1, sequence: 1, timestamp: 1, nodeName: "x"),
            key: Self.otherKey)
        #expect(verify(foreign, with: [Self.key]) == .failure(.unknownKey))
        // A forger who copies our key id but not our key.
        var forged = foreign
        forged[9] = 0x63
        #expect(verify(forged, with: [Self.key]) == .failure(.badMAC))
    }

    @Test func whileKeysRotateEitherKeyVerifies() throws {
        let new = MessageKeys.datagram(
            of: SignedMessage(phase: .started, keyID: 0, nonce: 1, sequence: 1, timestamp: 1, nodeName: "x"),
            key: Self.otherKey)
        #expect(try verify(new, with: [Self.key, Self.otherKey]).get().nodeName == "x")
        #expect(try verify(Self.example, with: [Self.key, Self.otherKey]).get().nodeName == "node-a")
        #expect(verify(Self.example, with: []) == .failure(.unknownKey))
    }

    @Test func thePacemakerDerivationIsHKDFSHA256WithTheDocumentedInfo() {
        // HKDF-SHA256(IKM "abc", no salt, info "kdump-watch v2 message key", 32 bytes).
        #expect(
            KeyDerivation.fromPacemakerKey(Array("abc".utf8)).hexText
                == "9c22076e0f9cc8920bfe24e2ebc99e838ee2e5abcedb70ab7addca59f12b024c")
    }
}
