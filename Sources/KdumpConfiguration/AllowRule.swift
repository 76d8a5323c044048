import KdumpState
import KdumpWire
import Logging

/// One entry of the `allow` setting.
public enum AllowRule: Sendable, Equatable, CustomStringConvertible {
    case range(AddressRange)
    /// Every address of every configured node.
    case nodes

    public var description: String {
        switch self {
        case .range(let range): range.description
        case .nodes: "nodes"
        }
    }
}
