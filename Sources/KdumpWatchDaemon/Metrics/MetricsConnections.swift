import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The open metrics connections, oldest first, for `max_clients`.
///
/// Every open connection is waiting for its request (the answer closes it), so the oldest is
/// the one that has taken longest: at a full endpoint it makes room for the newcomer.
final class MetricsConnections: Sendable {
    private let open = Mutex<[(id: ObjectIdentifier, channel: any Channel)]>([])

    /// Registers `channel`; returns the connection to close when `limit` were open already.
    func admit(_ channel: any Channel, limit: Int) -> (any Channel)? {
        open.withLock { open in
            var evicted: (any Channel)?
            if open.count >= limit { evicted = open.removeFirst().channel }
            open.append((ObjectIdentifier(channel), channel))
            return evicted
        }
    }

    func release(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { open in open.removeAll { $0.id == id } }
    }
}
