import KdumpDecision
import KdumpWire

/// A change to the table, in the order it happened; the daemon turns these into logs, watch
/// events and state-file writes.
public struct TableEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The first message of a new episode: a host entered kdump.
        case episodeStarted = "episode_started"
        /// A further message of a running episode.
        case message
        /// Messages stopped for `finished_after`.
        case finished
        /// The entry outlived `retain` and was removed.
        case expired
        /// The entry was removed to make room (`max_hosts`).
        case evicted
        /// An administrator removed the entry.
        case forgotten
    }

    public var kind: Kind
    public var entry: HostEntry

    /// Whether this event starts or ends an episode, which the state file records at once.
    public var isEpisodeBoundary: Bool { kind != .message }
}
