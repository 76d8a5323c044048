import Glibc
import KdumpAuth
import KdumpSender
import KdumpWire
import Testing

/// The sender's protocol version 2 (Documentation/protocol.md §4): Nettle's MAC against
/// swift-crypto's, the phases and sequences it sends, and its new options.
@Suite struct SignedSenderTests {
    let key = AuthKey(bytes: Array(0..<32))!
    /// node-a's key in the cluster "example" (Documentation/protocol.md §4): what its capture
    /// image holds, sent under the cluster key's id.
    var nodeKey: AuthKey { KeyDerivation.nodeKey(clusterKey: key, clusterName: "example", node: "node-a") }
    var daemonKeys: MessageKeys { MessageKeys([key], clusterName: "example") }

    @Test func nettleAndSwiftCryptoAgreeOnTheKeyIDAndTheMAC() {
        #expect(MessageSigner.keyID(of: key) == MessageKeys.keyID(of: key))
        for length in [0, 1, 39, 64, 97, 200] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(MessageSigner.mac(of: bytes, key: key) == MessageKeys.mac(of: bytes, key: key), "\(length) bytes")
        }
    }

    @Test func theFirstRoundSaysStartedThenDumpingEachDatagramItsOwnSequence() throws {
        let listener = try TestListener()
        var options = SenderOptions()
        options.count = 2
        options.interval = 1
        options.nodes = ["127.0.0.1", "localhost"]
        options.port = listener.port
        options.alsoV1 = true
        let signer = MessageSigner(
            key: nodeKey, keyID: MessageKeys.keyID(of: key), nodeName: "node-a", nonce: 42,
            now: { 1_796_212_800_000_000_000 })
        let statistics = Sender(
            options: options, signer: signer, resolve: { _, _ in [HostAddress("127.0.0.1")!] }
        ).run()
        #expect(statistics.sent == 8)
        let datagrams = listener.drain()
        let signed = datagrams.filter { $0.count != KdumpDatagram.length }
        #expect(datagrams.filter { $0 == KdumpDatagram.littleEndianV1 }.count == 4)
        let verified = try signed.map { datagram in
            try datagram.withUnsafeBytes { try daemonKeys.verify($0).get() }
        }
        #expect(verified.map(\.nodeName) == Array(repeating: "node-a", count: 4))
        #expect(verified.map(\.header.phase) == [.started, .started, .dumping, .dumping])
        #expect(verified.map(\.header.sequence) == [1, 2, 3, 4])
        #expect(verified.allSatisfy { $0.header.nonce == 42 && $0.header.timestamp == 1_796_212_800_000_000_000 })
    }

    @Test func anExplicitPhaseIsSentEveryTime() throws {
        let listener = try TestListener()
        var options = SenderOptions()
        options.count = 1
        options.nodes = ["127.0.0.1"]
        options.port = listener.port
        options.phase = .failed
        let nKey = KeyDerivation.nodeKey(clusterKey: key, clusterName: "example", node: "n")
        Sender(options: options, signer: MessageSigner(key: nKey, keyID: 0x63, nodeName: "n", nonce: 7)).run()
        let datagram = try #require(listener.drain().first)
        #expect(try datagram.withUnsafeBytes { try daemonKeys.verify($0).get().header.phase } == .failed)
        // Without --key-id the node key's own id is sent, which no daemon knows.
        #expect(MessageSigner(key: nKey, nodeName: "n", nonce: 7).keyID != 0x63)
    }

    @Test func theNewOptionsParse() throws {
        let command = try SenderCommandLine.parse([
            "--key=/k", "--node-name", "node-a", "--phase", "finished", "--broadcast", "--also-v1", "-c", "1",
            "--key-id", "3F",
        ])
        guard case .send(let options) = command else {
            Issue.record("not a send: \(command)")
            return
        }
        #expect(options.keyFile == "/k" && options.nodeName == "node-a" && options.phase == .finished)
        #expect(options.broadcast && options.alsoV1 && options.nodes.isEmpty && options.keyID == 0x3F)
    }

    @Test(arguments: [
        (["--node-name", "a", "n"], "--node-name needs --key (it applies to signed messages)"),
        (["--phase", "dumping", "n"], "--phase needs --key (it applies to signed messages)"),
        (["--key-id", "3f", "n"], "--key-id needs --key (it applies to signed messages)"),
        (["--key", "/k", "--key-id", "3", "n"], "invalid key id '3' (two hexadecimal digits)"),
        (["--also-v1", "n"], "--also-v1 needs --key (it applies to signed messages)"),
        (["--key", "/k", "--phase", "done", "n"], "invalid phase 'done' (started, dumping, finished, failed)"),
        (["--key", "/k", "--node-name", "a b", "n"], "invalid node name 'a b' (1 to 64 of A-Z a-z 0-9 . _ -)"),
        (["--key", "/k"], "no node to send to"),
    ])
    func badUsesAreUsageErrors(arguments: [String], message: String) {
        #expect(throws: SenderUsageError(message)) { try SenderCommandLine.parse(arguments) }
    }

    @Test func theNodeNameIsGivenElseRecordedElseTheHostName() throws {
        var options = SenderOptions()
        options.nodeName = "given"
        #expect(try SenderIdentity.nodeName(options, recordedAt: "/nonexistent") == "given")
        options.nodeName = nil
        let path = "/tmp/kdump-watch-node-name-\(getpid())"
        defer { unlink(path) }
        let text = "recorded-1\n"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        #expect(try SenderIdentity.nodeName(options, recordedAt: path) == "recorded-1")
        var system = utsname()
        uname(&system)
        let host = withUnsafeBytes(of: system.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(
            try SenderIdentity.nodeName(options, recordedAt: "/nonexistent") == String(host.split(separator: ".")[0]))
    }
}
