import Glibc

/// The credentials of the process at the other end of a Unix socket.
///
/// A Swift mirror of Linux's `struct ucred`: Glibc declares it behind `__USE_GNU`, which Swift
/// does not see, and NIO has no peer-credentials API.
struct PeerCredentials: Sendable {
    var pid: pid_t = 0
    var uid: uid_t = 0
    var gid: gid_t = 0
}
