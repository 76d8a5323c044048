import KdumpDecision
import KdumpWire

/// What the table knows about one sender: the current kdump episode.
public struct HostEntry: Hashable, Sendable {
    /// Where the latest message came from.
    public var address: HostAddress
    /// The cluster node: the name a signed message gave, or the one `nodes` gives the address.
    public var node: String?
    /// Whether the messages are signed (protocol version 2) and verified; the entry then stands
    /// for ``node`` whatever the address.
    public var authenticated: Bool
    /// The phase of the latest signed message; nil for version 1.
    public var phase: SignedMessage.Phase?
    /// When the current episode's first message arrived ("in kdump since").
    public var firstSeen: WallClockTime
    /// When the latest message arrived, on the wall clock (for display only).
    public var lastSeen: WallClockTime
    /// When the latest message arrived, on the monotonic clock; nil when it is not known
    /// (restored from a state file written during an earlier boot), in which case the message
    /// counts as infinitely old.
    public var lastSeenMonotonic: MonotonicInstant?
    /// The timestamp the latest signed message carried (the sender's wall clock); nil for
    /// version 1, or for a signed entry restored from a file that did not record it, which then
    /// confirms nothing until its next message.
    public var lastSentAt: WallClockTime?
    /// Valid messages in the current episode.
    public var messages: Int
    /// Whether the switch to ``HostState/finished`` has been announced for this episode.
    public var finishAnnounced: Bool

    public init(
        address: HostAddress, node: String?, firstSeen: WallClockTime, lastSeen: WallClockTime,
        lastSeenMonotonic: MonotonicInstant?, messages: Int, finishAnnounced: Bool = false,
        authenticated: Bool = false, phase: SignedMessage.Phase? = nil, lastSentAt: WallClockTime? = nil
    ) {
        self.lastSentAt = lastSentAt
        self.address = address
        self.node = node
        self.authenticated = authenticated
        self.phase = phase
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.lastSeenMonotonic = lastSeenMonotonic
        self.messages = messages
        self.finishAnnounced = finishAnnounced
    }

    /// The key the table holds the entry under.
    public var key: HostKey {
        if authenticated, let node { .node(node) } else { .address(address) }
    }

    /// Whether the latest message confirms a request made at `requestedAt` with `maxAge`
    /// (``FenceDecision``): by its arrival, and a signed one by its own timestamp too.
    public func confirms(requestedAt: Timestamp, maxAge: Duration, clockMargin: Duration) -> Bool {
        guard
            FenceDecision.confirms(lastMessage: lastSeenMonotonic, requestedAt: requestedAt.monotonic, maxAge: maxAge)
        else { return false }
        guard authenticated else { return true }
        guard let lastSentAt else { return false }
        return FenceDecision.confirms(
            sentAt: lastSentAt, requestedAt: requestedAt.wall, maxAge: maxAge, clockMargin: clockMargin)
    }

    /// The age of the latest message at `now`, nil when unknown.
    public func age(at now: MonotonicInstant) -> Duration? {
        lastSeenMonotonic.map { now.since($0) }
    }

    /// The entry's state at `now` given the `finished_after` setting: a `finished` or `failed`
    /// phase ends the episode at once.
    public func state(at now: MonotonicInstant, finishedAfter: Duration) -> HostState {
        guard phase?.endsEpisode != true, let age = age(at: now) else { return .finished }
        return age < finishedAfter ? .dumping : .finished
    }
}
