import ArgumentParser
import Glibc
import KdumpAuth
import KdumpWire

/// `kdump-watchctl keygen`: writes the key that signs protocol version 2 messages
/// (Documentation/protocol.md §6), random or derived from Pacemaker's authkey.
struct Keygen: ParsableCommand {
    static let defaultOutput = "/etc/kdump-watch/authkey"
    static let defaultPacemakerKey = "/etc/pacemaker/authkey"

    static let configuration = CommandConfiguration(
        abstract: "Write the cluster key that signs kdump messages (protocol version 2).",
        discussion: """
            Without --from-pacemaker the key is random: copy the file to every node. With it, every \
            node derives the same key from Pacemaker's authkey (HKDF-SHA256), so nothing needs copying. \
            The file is written with mode 0600; an existing one is kept unless --force is given. \
            '--output -' prints the key instead.
            """)

    @Option(help: ArgumentHelp("Where to write the key (default: \(Self.defaultOutput)).", valueName: "file"))
    var output: String = Self.defaultOutput
    @Flag(
        name: .customLong("from-pacemaker"),
        help: "Derive the key from Pacemaker's authkey instead of choosing a random one.")
    var fromPacemaker = false
    @Flag(help: "Replace an existing key file.") var force = false
    @Argument(
        help: ArgumentHelp(
            "With --from-pacemaker: the Pacemaker key (default: \(Self.defaultPacemakerKey)).", valueName: "path"))
    var pacemakerKey: String?

    func validate() throws {
        if pacemakerKey != nil && !fromPacemaker {
            throw ValidationError("a key path is read only with --from-pacemaker")
        }
    }

    func run() throws {
        let key: AuthKey
        if fromPacemaker {
            let path = pacemakerKey ?? Self.defaultPacemakerKey
            let contents: [UInt8]
            do {
                contents = try KeyFiles.readAll(path, limit: 1 << 16)
            } catch {
                throw Failure(status: .negative, message: "kdump-watchctl: cannot read \(path): \(error)")
            }
            guard !contents.isEmpty else {
                throw Failure(status: .negative, message: "kdump-watchctl: \(path) is empty")
            }
            key = KeyDerivation.fromPacemakerKey(contents)
        } else {
            key = KeyDerivation.random()
        }
        let id = String(MessageKeys.keyID(of: key), radix: 16)
        if output == "-" {
            print(key.hexText)
            return
        }
        do {
            try KeyFiles.write(key.hexText + "\n", to: output, replacing: force)
        } catch {
            throw Failure(status: .negative, message: "kdump-watchctl: cannot write \(output): \(error)")
        }
        let next = fromPacemaker ? "run the same command on every node" : "copy it to every node (mode 0600)"
        print("wrote key id \(id.count == 1 ? "0" + id : id) to \(output); \(next), then set auth_key = \(output)")
    }
}

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
