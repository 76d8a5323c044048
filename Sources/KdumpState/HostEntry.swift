import KdumpDecision
import KdumpWire

/// Whether a sender is still sending.
public enum HostState: String, Sendable, Codable {
    /// The last message is younger than `finished_after`.
    case dumping
    /// Messages stopped: the dump is done and the node rebooted, or the sender is gone.
    case finished
}

/// What the table knows about one sender address: the current kdump episode.
public struct HostEntry: Hashable, Sendable {
    public var address: HostAddress
    /// The cluster node the address belongs to, when configured.
    public var node: String?
    /// When the current episode's first message arrived ("in kdump since").
    public var firstSeen: WallClockTime
    /// When the latest message arrived, on the wall clock (for display only).
    public var lastSeen: WallClockTime
    /// When the latest message arrived, on the monotonic clock; nil when it is not known
    /// (restored from a state file written during an earlier boot), in which case the message
    /// counts as infinitely old.
    public var lastSeenMonotonic: MonotonicInstant?
    /// Valid messages in the current episode.
    public var messages: Int
    /// Whether the switch to ``HostState/finished`` has been announced for this episode.
    public var finishAnnounced: Bool

    public init(
        address: HostAddress, node: String?, firstSeen: WallClockTime, lastSeen: WallClockTime,
        lastSeenMonotonic: MonotonicInstant?, messages: Int, finishAnnounced: Bool = false
    ) {
        self.address = address
        self.node = node
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.lastSeenMonotonic = lastSeenMonotonic
        self.messages = messages
        self.finishAnnounced = finishAnnounced
    }

    /// The age of the latest message at `now`, nil when unknown.
    public func age(at now: MonotonicInstant) -> Duration? {
        lastSeenMonotonic.map { now.since($0) }
    }

    /// The entry's state at `now` given the `finished_after` setting.
    public func state(at now: MonotonicInstant, finishedAfter: Duration) -> HostState {
        guard let age = age(at: now) else { return .finished }
        return age < finishedAfter ? .dumping : .finished
    }
}
