import KdumpDecision
import KdumpWire

/// Whether a sender is still sending.
public enum HostState: String, Sendable, Codable {
    /// The last message is younger than `finished_after`.
    case dumping
    /// Messages stopped: the dump is done and the node rebooted, or the sender is gone.
    case finished
}
