import KdumpDecision

/// One row of status output: an entry with its state and age at the time of the snapshot.
public struct HostStatus: Sendable, Equatable {
    public var entry: HostEntry
    public var state: HostState
    /// Age of the last message; nil when unknown (restored from an earlier boot).
    public var age: Duration?

    public init(entry: HostEntry, state: HostState, age: Duration?) {
        self.entry = entry
        self.state = state
        self.age = age
    }

    /// The row for `entry` at `now`.
    public init(entry: HostEntry, at now: MonotonicInstant, finishedAfter: Duration) {
        self.init(entry: entry, state: entry.state(at: now, finishedAfter: finishedAfter), age: entry.age(at: now))
    }
}
