import Glibc
import Logging

extension Daemon {
    /// Raises the soft limit on open files to the hard limit, as Go's runtime and many daemons
    /// do: every control client is a descriptor, and systemd's default soft limit (1024) is
    /// below what a large `max_clients` needs. Warns when even the hard limit is too low.
    static func raiseDescriptorLimit(maxClients: Int, logger: Logger) {
        // Glibc imports RLIMIT_NOFILE as an enum case; the functions take its raw value.
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        // Clients, plus the sockets, the state file and the runtime's own descriptors.
        let needed = rlim_t(maxClients) + 64
        if limit.rlim_cur != rlim_t.max && limit.rlim_cur < needed {
            logger.warning(
                "the open-file limit (\(limit.rlim_cur)) is below max_clients + 64 (\(needed)); clients beyond it will fail to connect"
            )
        }
    }
}
