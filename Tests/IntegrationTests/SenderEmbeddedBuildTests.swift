import Foundation
import KdumpAuth
import KdumpTestSupport
import KdumpWire
import Testing

/// The installed sender is the Embedded Swift build of the same source files as the normal
/// build (Documentation/architecture.md, "The embedded sender"). These tests run the embedded
/// build's codec and signer (the test tool `kdump-watch-wire-vectors`, built by `make sender`
/// from the sender's own files) and check that it puts on the wire exactly what the normal
/// build's codec and the daemon's swift-crypto MAC give for the same inputs.
@Suite struct SenderEmbeddedBuildTests {
    static var tool: String { (Build.sender as NSString).deletingLastPathComponent + "/kdump-watch-wire-vectors" }

    /// The embedded build's datagram of `message` signed with `key`, as hexadecimal digits: from
    /// `tool`, run by `launcher` (such as valgrind) if one is given.
    func embedded(
        _ message: SignedMessage, key: AuthKey, tool: String = Self.tool, launcher: [String] = []
    ) throws -> String {
        let arguments = [
            key.hexText, String(format: "%02x", message.keyID), message.nodeName, "\(message.phase)",
            "\(message.nonce)", "\(message.sequence)", "\(message.timestamp)",
        ]
        let result =
            launcher.isEmpty
            ? try run(tool, arguments)
            : try run(launcher[0], Array(launcher.dropFirst()) + [tool] + arguments, timeout: 120)
        #expect(result.status == 0, "\(result)")
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    /// The protocol document's example message and the node key that signs it.
    func example() throws -> (SignedMessage, AuthKey) {
        let example = try ProtocolExample.datagram.withUnsafeBytes { SignedMessage.Header.parse($0) }.get()
        let key = try #require(AuthKey(bytes: ProtocolExample.bytes(ProtocolExample.nodeKeyHex)))
        let message = SignedMessage(
            phase: example.phase, keyID: example.keyID, nonce: example.nonce, sequence: example.sequence,
            timestamp: example.timestamp, nodeName: "node-a")
        return (message, key)
    }

    /// The normal build's datagram: its codec, and the daemon's swift-crypto MAC.
    func normal(_ message: SignedMessage, key: AuthKey) -> String {
        message.datagram(mac: MessageKeys.mac(of: message.signedBytes, key: key)).map {
            String(format: "%02x", $0)
        }.joined()
    }

    /// The embedded package holds links to the normal build's files, never copies: besides the
    /// C module maps, only the libc shims and the test tool's main are its own. Whole modules
    /// are linked as directories.
    @Test func theEmbeddedPackageCopiesNoSource() throws {
        let top = Build.repository + "/EmbeddedSender/Sources"
        let own = ["kdump-watch-send/Libc+Embedded.swift", "kdump-watch-wire-vectors/main.swift"].map { top + "/" + $0 }
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: top + "/" + path).resolvingSymlinksInPath().path
        }
        #expect(resolved("kdump-watch-send/KdumpSender") == Build.repository + "/Sources/KdumpSender")
        #expect(resolved("kdump-watch-send/KdumpCommandLine") == Build.repository + "/Sources/KdumpCommandLine")
        let files = try FileManager.default.subpathsOfDirectory(atPath: top).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 10, "\(files)")
        for file in files {
            let target = resolved(file)
            #expect(target.hasPrefix(Build.repository + "/Sources/") || own.contains(target), "\(file) is a copy")
        }
    }

    @Test func theProtocolDocumentsExampleComesOutOfTheEmbeddedBuild() throws {
        let (message, key) = try example()
        #expect(try embedded(message, key: key) == ProtocolExample.hex)
    }

    /// The embedded sender picks Nettle's SHA-256 compression function by the CPU: the one with
    /// the SHA extensions where the CPU has them, else the plain x86-64 one. valgrind's virtual
    /// CPU has no SHA extensions, so under it the plain one signs; natively, on a CPU with them
    /// (`sha_ni` in /proc/cpuinfo), the other. Both must give the protocol document's example.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/valgrind"), "needs valgrind"))
    func bothSHA256CompressionFunctionsSignTheExample() throws {
        let (message, key) = try example()
        // valgrind cannot read the debug information of a build for size; it runs a stripped copy.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let stripped = directory.path + "/kdump-watch-wire-vectors"
        #expect(try run("/usr/bin/strip", ["-o", stripped, Self.tool]).status == 0)
        #expect(try embedded(message, key: key, tool: stripped) == ProtocolExample.hex)
        #expect(
            try embedded(
                message, key: key, tool: stripped, launcher: ["/usr/bin/valgrind", "-q", "--error-exitcode=9"])
                == ProtocolExample.hex)
    }

    @Test func randomInputsGiveTheSameBytesInBothBuilds() throws {
        var random = SeededGenerator(seed: 0x6B77_656D_6265_6464)
        let nameBytes = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
        for _ in 0..<64 {
            let key = AuthKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })!
            let keyID = UInt8.random(in: 0...255, using: &random)
            let length = Int.random(in: 1...SignedMessage.maxNameLength, using: &random)
            let node = String(
                decoding: (0..<length).map { _ in nameBytes.randomElement(using: &random)! }, as: UTF8.self)
            let phase = SignedMessage.Phase.allCases.randomElement(using: &random)!
            let nonce = UInt64.random(in: 0...UInt64.max, using: &random)
            let sequence = UInt32.random(in: 1...20, using: &random)
            let timestamp = UInt64.random(in: 0...UInt64.max, using: &random)
            let message = SignedMessage(
                phase: phase, keyID: keyID, nonce: nonce, sequence: sequence, timestamp: timestamp, nodeName: node)
            #expect(try embedded(message, key: key) == normal(message, key: key), "node \(node), phase \(phase)")
        }
    }
}
