import Glibc

/// Writes `text` to `path` (mode 0644, or `mode`), replacing what was there.
public func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw FileError(path: path) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw FileError(path: path) }
    fchmod(fd, mode)
}

public func removeFile(_ path: String) { unlink(path) }

/// A new empty directory under /tmp (mkdtemp: a fresh name every time, no race with other runs).
public func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/kdump-watch-test-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw FileError(path: "/tmp/kdump-watch-test-XXXXXX")
    }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes `directory` and the files in it (one level: what the unit tests make).
public func removeDirectory(_ directory: String) {
    guard let stream = opendir(directory) else { return }
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { unlink(directory + "/" + name) }
    }
    closedir(stream)
    rmdir(directory)
}

public struct FileError: Error {
    public var path: String
}
