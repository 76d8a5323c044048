import Glibc
import KdumpConfiguration
import KdumpDecision
import KdumpState

/// The few file operations the daemon needs, on plain POSIX calls.
///
/// Written here because the state file must be replaced atomically and durably (write a
/// temporary file, `fsync`, `rename`, `fsync` the directory), and neither FoundationEssentials
/// nor swift-system exposes `fsync` or directory synchronisation.
enum FileIO {
    typealias Failure = SystemFile.Failure

    /// Writes `bytes` to `path` so that a crash at any moment leaves either the old or the new
    /// file complete.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "create", path: temporary, code: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw Failure(operation: "write", path: temporary, code: code)
            }
            offset += written
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw Failure(operation: "fsync", path: temporary, code: code)
        }
        close(fd)
        guard Glibc.rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(operation: "rename", path: temporary, code: code)
        }
        let directory = path.directoryName
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            defer { close(directoryFD) }
            guard fsync(directoryFD) == 0 else { throw Failure(operation: "fsync", path: directory, code: errno) }
        }
    }

    /// Creates `path` and its missing parents with `mode`; fine if it exists as a directory.
    static func makeDirectories(_ path: String, mode: mode_t) throws(Failure) {
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw Failure(operation: "mkdir", path: path, code: ENOTDIR)
            }
            return
        }
        let parent = path.directoryName
        if parent != path { try makeDirectories(parent, mode: 0o755) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw Failure(operation: "mkdir", path: path, code: errno)
        }
    }

    /// Whether this process may create files in `directory` (creating it if needed).
    static func isWritableDirectory(_ directory: String, mode: mode_t) -> Bool {
        (try? makeDirectories(directory, mode: mode)) != nil && access(directory, W_OK | X_OK) == 0
    }
}

extension FileIO {
    /// `rename(2)`; false when it failed.
    static func rename(_ from: String, to destination: String) -> Bool {
        Glibc.rename(from, destination) == 0
    }
}
