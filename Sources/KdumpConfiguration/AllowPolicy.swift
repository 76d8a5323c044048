import KdumpWire

/// The `allow` setting resolved against the node directory: which senders may touch the table.
public struct AllowPolicy: Sendable, Equatable {
    public var ranges: [AddressRange]
    public var nodeAddresses: Set<HostAddress>

    public init(rules: [AllowRule], directory: NodeDirectory) {
        ranges = rules.compactMap { if case .range(let range) = $0 { range } else { nil } }
        nodeAddresses = rules.contains(.nodes) ? directory.allAddresses : []
        acceptsAny = rules.isEmpty
    }

    /// True when `allow` is empty: every sender is accepted.
    public let acceptsAny: Bool

    public func admits(_ address: HostAddress) -> Bool {
        acceptsAny || nodeAddresses.contains(address) || ranges.contains { $0.contains(address) }
    }
}
