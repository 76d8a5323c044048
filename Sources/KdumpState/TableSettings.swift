import KdumpDecision
import KdumpWire

/// The tunables of the state table (Documentation/design.md §2).
public struct TableSettings: Sendable, Equatable {
    /// A host is `dumping` while its last message is younger than this.
    public var finishedAfter: Duration
    /// A `finished` host is removed this long after its last message.
    public var retain: Duration
    /// The most entries the table holds.
    public var maxHosts: Int

    /// The values come from the daemon's configuration (kdump-watchd.conf(5)), where their
    /// defaults are declared; the table has none of its own.
    public init(finishedAfter: Duration, retain: Duration, maxHosts: Int) {
        self.finishedAfter = finishedAfter
        self.retain = retain
        self.maxHosts = max(1, maxHosts)
    }
}
