import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The operations of the control protocol (`Documentation/control-protocol.md`).
public enum ControlOperation: String, Codable, Sendable, CaseIterable {
    case status, wait, watch, forget, metrics, health
}
