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
        return access(user, F_OK) == 0 ? user : system
    }
}
