import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire

extension HostReport {
    /// The protocol's view of one row of the table: addresses in their normal text form, times
    /// in RFC 3339 UTC, the age rounded to milliseconds.
    init(_ status: HostStatus) {
        let state: State =
            switch status.state {
            case .dumping: .dumping
            case .finished: .finished
            }
        self.init(
            address: status.entry.address.description, node: status.entry.node, state: state,
            firstSeen: status.entry.firstSeen.rfc3339, lastSeen: status.entry.lastSeen.rfc3339,
            messages: status.entry.messages,
            lastSeenAgeSeconds: status.age.map { ($0.secondsValue * 1000).rounded() / 1000 },
            auth: status.entry.authenticated, phase: status.entry.phase?.description)
    }
}
