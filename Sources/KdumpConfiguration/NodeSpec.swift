import KdumpState
import KdumpWire
import Logging

/// One node of the `nodes` setting: a name, and its addresses when given (`name=addr,addr`);
/// without addresses the name is resolved.
public struct NodeSpec: Sendable, Equatable {
    public var name: String
    public var addresses: [HostAddress]

    public init(name: String, addresses: [HostAddress]) {
        self.name = name
        self.addresses = addresses
    }
}
