import Glibc

/// Where the control socket lives when nobody says otherwise (kdump-watchd(8), FILES).
///
/// The system daemon uses `/run/kdump-watch/control.sock`. An unprivileged daemon that cannot
/// create `/run/kdump-watch` uses `$XDG_RUNTIME_DIR/kdump-watch/control.sock`, or
/// `/tmp/kdump-watch-UID/control.sock` without a runtime directory. Clients look in the same
/// places, so both ends agree without configuration (``forClient()``); the environment
/// variable `KDUMP_WATCH_SOCKET` overrides the search for clients.
public enum ControlSocketPath {
    public static let system = "/run/kdump-watch/control.sock"
    public static let environmentOverride = "KDUMP_WATCH_SOCKET"

    /// The per-user directory an unprivileged daemon falls back to.
    public static var userRuntimeDirectory: String {
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), runtime.hasPrefix("/") {
            return runtime + "/kdump-watch"
        }
        return "/tmp/kdump-watch-\(getuid())"
    }

    /// The path a client connects to by default: the system socket when this user may use it
    /// (root, or write permission, as members of the control group have), else the user's own
    /// daemon's socket when there is one.
    public static func forClient() -> String {
        if let path = getenv(environmentOverride).map({ String(cString: $0) }), !path.isEmpty {
            return path
        }
        if geteuid() == 0 || access(system, W_OK) == 0 { return system }
        let user = userRuntimeDirectory + "/control.sock"
        guard problem(withPrivateDirectory: userRuntimeDirectory) == nil else { return system }
        return access(user, F_OK) == 0 ? user : system
    }

    /// Why `directory` is not this user's own, or nil when it is: it must be a directory (not a
    /// link to one), owned by this user, and writable by nobody else. `/tmp/kdump-watch-UID` is
    /// a name anyone can create first; a daemon that used another user's directory, or a client
    /// that trusted a socket in it, could be impersonated.
    public static func problem(withPrivateDirectory directory: String) -> String? {
        var info = stat()
        guard lstat(directory, &info) == 0 else { return "\(directory): \(String(cString: strerror(errno)))" }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(directory) is not a directory" }
        guard info.st_uid == geteuid() else {
            return "\(directory) belongs to user \(info.st_uid), not to this user (\(geteuid())); remove it"
        }
        guard info.st_mode & 0o022 == 0 else {
            return
                "\(directory) is writable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 700 it"
        }
        return nil
    }
}
