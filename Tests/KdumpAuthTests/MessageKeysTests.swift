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

    func verify(_ bytes: [UInt8], with keys: [AuthKey], cluster: String = ProtocolExample.clusterName)
        -> Result<MessageKeys.Verified, InvalidDatagramReason>
    {
        bytes.withUnsafeBytes { MessageKeys(keys, clusterName: cluster).verify($0) }
    }

    func signed(_ node: String, key: AuthKey, cluster: String = ProtocolExample.clusterName) -> [UInt8] {
        MessageKeys.datagram(
            of: SignedMessage(phase: .started, keyID: 0, nonce: 1, sequence: 1, timestamp: 1, nodeName: node),
            clusterKey: key, clusterName: cluster)
    }

    @Test func keyIDsAreTheFirstByteOfTheKeysSHA256() {
        #expect(MessageKeys.keyID(of: Self.key) == 0x63)
        #expect(MessageKeys.keyID(of: Self.otherKey) == 0x02)
    }

    @Test func signingGivesTheDocumentedDatagram() {
        let message = SignedMessage(
            phase: .dumping, keyID: 0, nonce: 0x0102_0304_0506_0708, sequence: 7,
            timestamp: 1_796_212_800_000_000_000, nodeName: "node-a")
        #expect(
            MessageKeys.datagram(of: message, clusterKey: Self.key, clusterName: ProtocolExample.clusterName)
                == Self.example)
        // The same bytes as a capture image signs them: with K_N alone, under K's key id.
        let nodeKey = AuthKey(bytes: ProtocolExample.bytes(ProtocolExample.nodeKeyHex))!
        var byNodeKey = message
        byNodeKey.keyID = 0x63
        #expect(byNodeKey.datagram(mac: MessageKeys.mac(of: byNodeKey.signedBytes, key: nodeKey)) == Self.example)
    }

    @Test func theNodeKeyIsHKDFSHA256OfTheClusterKeyWithClusterAndNodeInTheInfo() {
        #expect(
            KeyDerivation.nodeKey(clusterKey: Self.key, clusterName: "example", node: "node-a").hexText
                == ProtocolExample.nodeKeyHex)
        #expect(
            KeyDerivation.nodeKey(clusterKey: Self.key, clusterName: "", node: "node-a").hexText
                == "3a94e4682f04fddf42d4a065962c110a79b2afca6a5928cf1029c20fd595c570")
    }

    /// One leaked image, one node: a node key signs for its own node only, and a cluster that
    /// shares the cluster key (a cloned Pacemaker authkey) but not the name confirms nothing.
    @Test func aNodeKeySpeaksForItsNodeAndClusterOnly() throws {
        let nodeKey = AuthKey(bytes: ProtocolExample.bytes(ProtocolExample.nodeKeyHex))!
        var other = SignedMessage(phase: .started, keyID: 0x63, nonce: 1, sequence: 1, timestamp: 1, nodeName: "node-b")
        other.keyID = 0x63
        let forged = other.datagram(mac: MessageKeys.mac(of: other.signedBytes, key: nodeKey))
        #expect(verify(forged, with: [Self.key]) == .failure(.badMAC))
        #expect(verify(signed("node-a", key: Self.key, cluster: "clone"), with: [Self.key]) == .failure(.badMAC))
        #expect(
            try verify(signed("node-a", key: Self.key, cluster: "clone"), with: [Self.key], cluster: "clone").get()
                .nodeName == "node-a")
    }

    @Test func onlyVerifiedNodesAreCached() {
        let keys = MessageKeys([Self.key], clusterName: "example", cacheCapacity: 4)
        for index in 0..<100 {
            var forged = signed("forged-\(index)", key: Self.key)
            forged[forged.count - 1] ^= 1
            #expect(forged.withUnsafeBytes { keys.verify($0) } == .failure(.badMAC))
        }
        #expect(keys.cachedNodeKeys == 0)
        for index in 0..<10 {
            #expect((try? signed("node-\(index)", key: Self.key).withUnsafeBytes { try keys.verify($0).get() }) != nil)
            #expect(keys.cachedNodeKeys <= 4)
        }
        #expect(Self.example.withUnsafeBytes { (try? keys.verify($0).get())?.nodeName } == "node-a")
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
        let foreign = signed("x", key: Self.otherKey)
        #expect(verify(foreign, with: [Self.key]) == .failure(.unknownKey))
        // A forger who copies our key id but not our key.
        var forged = foreign
        forged[9] = 0x63
        #expect(verify(forged, with: [Self.key]) == .failure(.badMAC))
    }

    @Test func whileKeysRotateEitherKeyVerifies() throws {
        let new = signed("x", key: Self.otherKey)
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
