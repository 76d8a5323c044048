import Glibc

/// Reads the small files the daemon and the fence agent's fallback listener both read: the
/// configuration, corosync's, key files' neighbours, `/proc`. Plain POSIX calls with a size
/// limit, so that a huge or endless file (a FIFO, `/dev/zero`) is an error, not a hang or an
/// allocation without bound.
public enum SystemFile {
    /// Why a file could not be read: the operation, the path and `errno`, as one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var operation: String
        public var path: String
        public var code: Int32

        public init(operation: String, path: String, code: Int32) {
            self.operation = operation
            self.path = path
            self.code = code
        }

        public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// The whole file, or ``Failure`` with `EFBIG` past `limit` bytes.
    public static func readBytes(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "read", path: path, code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > limit { throw Failure(operation: "read", path: path, code: EFBIG) }
        }
    }

    /// The whole file as UTF-8 text (invalid bytes replaced).
    public static func readText(_ path: String, limit: Int) throws(Failure) -> String {
        String(decoding: try readBytes(path, limit: limit), as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
