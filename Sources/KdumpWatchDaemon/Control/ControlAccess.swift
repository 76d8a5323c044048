import Glibc
import KdumpConfiguration

/// Who may use the control socket: root, the daemon's own user, and members of the control
/// group (primary or supplementary, as the peer process has them).
struct ControlAccess: Sendable {
    let groupID: gid_t?

    func admits(_ credentials: PeerCredentials) -> Bool {
        if credentials.uid == 0 || credentials.uid == geteuid() { return true }
        guard let groupID else { return false }
        if credentials.gid == groupID { return true }
        return Self.supplementaryGroups(of: credentials.pid).contains(groupID)
    }

    /// The `Groups:` line of `/proc/PID/status`: the peer's actual supplementary groups.
    private static func supplementaryGroups(of pid: pid_t) -> [gid_t] {
        guard pid > 0, let status = try? SystemFile.readText("/proc/\(pid)/status", limit: 1 << 16) else {
            return []
        }
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { gid_t($0) }
        }
        return []
    }
}
