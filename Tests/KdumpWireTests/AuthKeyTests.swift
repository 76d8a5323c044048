import Foundation
import KdumpWire
import Testing

/// Key files (Documentation/protocol.md §6): 64 hexadecimal digits, an optional newline, and a
/// mode that keeps others out.
@Suite struct AuthKeyTests {
    static let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    @Test func readsSixtyFourDigitsWithOrWithoutANewline() throws {
        let key = try AuthKey.parse(Array(Self.hex.utf8), path: "k")
        #expect(key.bytes == Array(0..<32))
        #expect(try AuthKey.parse(Array((Self.hex + "\n").utf8), path: "k") == key)
        #expect(try AuthKey.parse(Array(Self.hex.uppercased().utf8), path: "k") == key)
        #expect(key.hexText == Self.hex)
    }

    @Test(arguments: [
        "", "00", String(Self.hex.dropLast()), Self.hex + "0", Self.hex + "\n\n", " " + Self.hex,
        Self.hex + " ", Self.hex + "\r\n", "g" + Self.hex.dropFirst(),
    ])
    func refusesAnythingElse(text: String) {
        #expect(throws: AuthKey.FileError.self) { try AuthKey.parse(Array(text.utf8), path: "k") }
    }

    @Test func refusesAFileOthersMayReadAndSaysHowToFixIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authkey-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key").path
        try (Self.hex + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        #expect {
            try AuthKey.load(path: path)
        } throws: { error in
            "\(error)" == "key file \(path): others may read or write it (mode 644); chmod 600 it"
        }
        for groupMode: mode_t in [0o640, 0o660, 0o620, 0o604] {
            chmod(path, groupMode)
            #expect {
                try AuthKey.load(path: path)
            } throws: { error in
                "\(error)".contains("others may read or write it (mode \(String(groupMode, radix: 8)))")
            }
        }
        chmod(path, 0o400)
        #expect(try AuthKey.load(path: path).bytes == Array(0..<32))
        chown(path, 65_534, gid_t.max)
        #expect {
            try AuthKey.load(path: path)
        } throws: { error in
            "\(error)".contains("belongs to user 65534, not to root or this user")
        }
        chown(path, geteuid(), gid_t.max)
        chmod(path, 0o600)
        #expect(try AuthKey.load(path: path).bytes == Array(0..<32))
        #expect {
            try AuthKey.load(path: directory.path)
        } throws: { error in
            "\(error)".hasSuffix("not a regular file")
        }
        #expect {
            try AuthKey.load(path: path + ".missing")
        } throws: { error in
            "\(error)" == "key file \(path).missing: No such file or directory"
        }
    }
}
