import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The answer to `status`: the object `kdump-watchctl status --json` prints.
public struct StatusReport: ControlPayload, Equatable {
    public var hosts: [HostReport]
    /// Invalid datagrams since the daemon started, by reason (every reason present).
    public var invalid: [String: Int]

    public init(hosts: [HostReport], invalid: [InvalidDatagramReason: Int]) {
        self.hosts = hosts
        var counts: [String: Int] = [:]
        for reason in InvalidDatagramReason.allCases { counts[reason.rawValue] = invalid[reason] ?? 0 }
        self.invalid = counts
    }

    /// The counts come out sorted by reason, not in the dictionary's hash order.
    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.hosts, hosts)
        writer.key(CodingKeys.invalid)
        writer.beginObject()
        for (reason, count) in invalid.sorted(by: { $0.key < $1.key }) {
            writer.key(reason)
            writer.value(count)
        }
        writer.endObject()
    }
}
