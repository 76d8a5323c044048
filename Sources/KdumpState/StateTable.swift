import KdumpDecision
import KdumpWire

/// The "in kdump since" table (Documentation/design.md §2): one entry per version 1 sender
/// address and one per node that signs its messages (``HostKey``). A value type with no clock
/// and no I/O: every operation is told the time, which keeps it exact to test.
///
/// Memory is bounded by ``TableSettings/maxHosts``: when a new sender arrives at a full
/// table, the `finished` entry with the oldest last message goes first; only when every entry
/// is `dumping` does the dumping entry heard from least recently go, so a flood of new sources
/// can never grow the table.
public struct StateTable: Sendable {
    public private(set) var settings: TableSettings
    public private(set) var entries: [HostKey: HostEntry] = [:]

    public init(settings: TableSettings) {
        self.settings = settings
    }

    public var count: Int { entries.count }

    /// Applies new settings; entries beyond a lowered `max_hosts` are evicted at once.
    public mutating func update(settings: TableSettings, at now: MonotonicInstant) -> [TableEvent] {
        self.settings = settings
        var events: [TableEvent] = []
        while entries.count > settings.maxHosts, let victim = evictionCandidate(at: now) {
            entries[victim.key] = nil
            events.append(TableEvent(kind: .evicted, entry: victim))
        }
        return events
    }

    /// Records one valid version 1 message from `address` received at `now`.
    public mutating func record(
        from address: HostAddress, node: String?, at now: Timestamp
    ) -> [TableEvent] {
        record(under: .address(address), at: now) { entry in
            entry.node = node
        } create: {
            HostEntry(
                address: address, node: node, firstSeen: now.wall, lastSeen: now.wall,
                lastSeenMonotonic: now.monotonic, messages: 1)
        }
    }

    /// Records one verified version 2 message from `node`, received from `address` at `now`.
    /// A `finished` or `failed` phase ends the episode at once: its `finished` event follows.
    ///
    /// A capture kernel says its last word several times, against datagram loss
    /// (Documentation/design.md §7, "Phases"): a `finished` or `failed` within `finished_after`
    /// of the one that ended the episode repeats it. It is counted as a message of that episode
    /// and starts no new one, so one dump is one episode in the log and in `status`.
    public mutating func recordSigned(
        by node: String, phase: SignedMessage.Phase, from address: HostAddress, sentAt: WallClockTime,
        at now: Timestamp
    ) -> [TableEvent] {
        let key = HostKey.node(node)
        if phase.endsEpisode, var entry = entries[key], entry.phase?.endsEpisode == true,
            let age = entry.age(at: now.monotonic), age < settings.finishedAfter
        {
            entry.messages = entry.messages.addingClamped(1)
            entry.phase = phase
            entry.lastSentAt = sentAt
            entry.address = address
            entry.lastSeen = now.wall
            entry.lastSeenMonotonic = now.monotonic
            entries[key] = entry
            return [TableEvent(kind: .message, entry: entry)]
        }
        var events = record(under: key, at: now) { entry in
            entry.address = address
            entry.phase = phase
            entry.lastSentAt = sentAt
        } create: {
            HostEntry(
                address: address, node: node, firstSeen: now.wall, lastSeen: now.wall,
                lastSeenMonotonic: now.monotonic, messages: 1, authenticated: true, phase: phase, lastSentAt: sentAt)
        }
        if phase.endsEpisode {
            entries[key]!.finishAnnounced = true
            events.append(TableEvent(kind: .finished, entry: entries[key]!))
        }
        return events
    }

    private mutating func record(
        under key: HostKey, at now: Timestamp, update: (inout HostEntry) -> Void, create: () -> HostEntry
    ) -> [TableEvent] {
        if var entry = entries[key] {
            let continuing =
                entry.state(at: now.monotonic, finishedAfter: settings.finishedAfter) == .dumping
            if continuing {
                entry.messages = entry.messages.addingClamped(1)
            } else {
                entry.firstSeen = now.wall
                entry.messages = 1
                entry.finishAnnounced = false
            }
            update(&entry)
            entry.lastSeen = now.wall
            entry.lastSeenMonotonic = now.monotonic
            entries[key] = entry
            return [TableEvent(kind: continuing ? .message : .episodeStarted, entry: entry)]
        }
        var events: [TableEvent] = []
        if entries.count >= settings.maxHosts, let victim = evictionCandidate(at: now.monotonic) {
            entries[victim.key] = nil
            events.append(TableEvent(kind: .evicted, entry: victim))
        }
        let entry = create()
        entries[key] = entry
        events.append(TableEvent(kind: .episodeStarted, entry: entry))
        return events
    }

    /// Announces episodes that finished and removes entries past `retain`.
    public mutating func sweep(at now: Timestamp) -> [TableEvent] {
        var events: [TableEvent] = []
        for (key, entry) in entries {
            let expired: Bool
            if let age = entry.age(at: now.monotonic) {
                expired = age >= settings.retain
            } else {
                // Restored from an earlier boot: only the wall clock says how old it is.
                let (wallAge, overflow) = now.wall.nanosecondsSinceEpoch.subtractingReportingOverflow(
                    entry.lastSeen.nanosecondsSinceEpoch)
                expired = overflow || wallAge >= settings.retain.nanosecondsClamped
            }
            if expired {
                entries[key] = nil
                events.append(TableEvent(kind: .expired, entry: entry))
            } else if !entry.finishAnnounced,
                entry.state(at: now.monotonic, finishedAfter: settings.finishedAfter) == .finished
            {
                entries[key]!.finishAnnounced = true
                events.append(TableEvent(kind: .finished, entry: entries[key]!))
            }
        }
        return events.sorted { $0.entry.key < $1.entry.key }
    }

    /// The most recently heard entry among `keys` whose last message confirms a request made at
    /// `requestedAt` (see ``FenceDecision``).
    public func confirmingEntry(
        among keys: Set<HostKey>, requestedAt: Timestamp, maxAge: Duration, clockMargin: Duration
    ) -> HostEntry? {
        var best: HostEntry?
        for key in keys {
            guard let entry = entries[key],
                entry.confirms(requestedAt: requestedAt, maxAge: maxAge, clockMargin: clockMargin)
            else { continue }
            if best == nil || entry.lastSeenMonotonic! > best!.lastSeenMonotonic! { best = entry }
        }
        return best
    }

    /// Removes the entries of `keys`.
    public mutating func forget(_ keys: Set<HostKey>) -> [TableEvent] {
        keys.sorted().compactMap { key in
            entries.removeValue(forKey: key).map { TableEvent(kind: .forgotten, entry: $0) }
        }
    }

    /// Sets the node name of every version 1 entry from `names` (after a configuration reload);
    /// a signed entry keeps the name it signed.
    public mutating func relabel(using names: [HostAddress: String]) {
        for (key, entry) in entries where !entry.authenticated { entries[key]!.node = names[entry.address] }
    }

    /// Puts back an entry read from the state file.
    public mutating func restore(_ entry: HostEntry) {
        entries[entry.key] = entry
    }

    private func evictionCandidate(at now: MonotonicInstant) -> HostEntry? {
        func older(_ lhs: HostEntry, _ rhs: HostEntry) -> Bool {
            switch (lhs.lastSeenMonotonic, rhs.lastSeenMonotonic) {
            case (nil, nil): lhs.lastSeen < rhs.lastSeen
            case (nil, _): true
            case (_, nil): false
            case (let left?, let right?): left < right
            }
        }
        let finished = entries.values.filter {
            $0.state(at: now, finishedAfter: settings.finishedAfter) == .finished
        }
        return (finished.isEmpty ? Array(entries.values) : finished).min(by: older)
    }
}
