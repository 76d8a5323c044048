#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

/// A cluster's message key: the 32 bytes that sign version 2 messages (Documentation/protocol.md
/// §6), as read from a key file of 64 hexadecimal digits.
///
/// Here, and not beside the cryptography, because both the daemon (swift-crypto) and the
/// capture-kernel sender (Nettle) read the same file and must refuse the same files.
public struct AuthKey: Sendable, Equatable {
    /// The length of a key.
    public static let length = 32

    /// The key's bytes.
    public let bytes: [UInt8]

    /// A key of exactly 32 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = bytes
    }

    /// The key as a key file holds it: 64 lowercase hexadecimal digits.
    public var hexText: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Why a key file was refused; each reads as one line naming the file.
    public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "key file \(path): \(problem)" }
    }

    /// Reads a key file's contents: 64 hexadecimal digits (either case) and an optional newline,
    /// nothing else.
    public static func parse(_ contents: some Collection<UInt8>, path: String) throws(FileError) -> AuthKey {
        var digits = Array(contents)
        if digits.last == UInt8(ascii: "\n") { digits.removeLast() }
        guard digits.count == 2 * length else {
            throw FileError(path: path, problem: "must hold 64 hexadecimal digits and nothing else")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[pair]), let low = hexValue(digits[pair + 1]) else {
                throw FileError(path: path, problem: "must hold 64 hexadecimal digits and nothing else")
            }
            bytes.append(high << 4 | low)
        }
        return AuthKey(bytes: bytes)!
    }

    /// Reads and checks the key file at `path`, as ssh checks a private key: a file that its
    /// group or others may read or write, or that belongs to a user other than root or the one
    /// reading it, is refused. The key is what stands between a forged datagram and a fenced
    /// node.
    public static func load(path: String) throws(FileError) -> AuthKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw FileError(path: path, problem: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw FileError(path: path, problem: String(cString: strerror(errno)))
        }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else {
            throw FileError(path: path, problem: "not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw FileError(
                path: path,
                problem: "others may read or write it (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "chmod 600 it")
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw FileError(
                path: path, problem: "it belongs to user \(info.st_uid), not to root or this user; chown it")
        }
        var buffer = [UInt8](repeating: 0, count: 2 * length + 2)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw FileError(path: path, problem: String(cString: strerror(errno))) }
        return try parse(buffer[..<count], path: path)
    }

    /// The value of the hexadecimal digit `digit` (either case), if it is one. Two subtractions
    /// that wrap below zero rather than ranges of `UInt8(ascii:)`: the embedded sender, built
    /// for size, keeps each of those a call, six of them for every digit of its key.
    private static func hexValue(_ digit: UInt8) -> UInt8? {
        let decimal = digit &- 0x30  // "0"
        if decimal < 10 { return decimal }
        let letter = (digit | 0x20) &- 0x61  // "a"; `| 0x20` makes "A"..."F" lowercase
        return letter < 6 ? letter + 10 : nil
    }
}
