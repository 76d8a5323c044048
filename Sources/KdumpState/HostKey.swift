import KdumpDecision
import KdumpWire

/// Whom a table entry stands for (Documentation/design.md §2).
public enum HostKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A version 1 sender: its source address is all that identifies it.
    case address(HostAddress)
    /// A node that signed its messages (protocol version 2), from whatever address.
    case node(String)

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.address(let left), .address(let right)): left < right
        case (.node(let left), .node(let right)): left < right
        case (.address, .node): true
        case (.node, .address): false
        }
    }

    public var description: String {
        switch self {
        case .address(let address): address.description
        case .node(let name): name
        }
    }
}
