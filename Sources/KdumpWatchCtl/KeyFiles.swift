import ArgumentParser
import Glibc
import KdumpAuth
import KdumpConfiguration
import KdumpWire

/// The few file operations `keygen` needs, on the system calls directly: the modes and the
/// exclusive create matter, and the tool has no Foundation.
enum KeyFiles {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func readAll(_ path: String, limit: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
        throw Failure(description: "larger than \(limit) bytes")
    }

    /// Writes `text` to `path` with mode 0600: created exclusively, or, when `replacing`, through
    /// a temporary file renamed over the old one, so that no reader ever sees half a key.
    static func write(_ text: String, to path: String, replacing: Bool) throws {
        let target = replacing ? path + ".new" : path
        if replacing { unlink(target) }
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw Failure(description: errno == EEXIST ? "it exists already (use --force to replace it)" : reason)
        }
        var failure: String?
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written != bytes.count || fchmod(descriptor, 0o600) != 0 || fsync(descriptor) != 0 {
            failure = String(cString: strerror(errno))
        }
        close(descriptor)
        if failure == nil && replacing && rename(target, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(target)
            throw Failure(description: failure)
        }
    }
}
