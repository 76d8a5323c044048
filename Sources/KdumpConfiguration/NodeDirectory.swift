import KdumpWire

/// The cluster's nodes with every address each one has: names senders in status output, and
/// resolves wait targets that are node names.
public struct NodeDirectory: Sendable, Equatable {
    public private(set) var addressesByName: [String: [HostAddress]] = [:]
    public private(set) var nameByAddress: [HostAddress: String] = [:]

    public init() {}

    /// Builds the directory for `setting`, resolving names that have no addresses.
    ///
    /// A node that does not resolve is kept without addresses and reported in `warnings`:
    /// nodes may be unknown to DNS at boot, and wait targets are resolved again per request.
    /// An unreadable or malformed corosync file is an error, and so is one address that belongs
    /// to two nodes (Documentation/design.md §7): it would let one node's messages speak for the
    /// other.
    public static func load(_ setting: NodesSetting) throws(ConfigurationError) -> (
        directory: NodeDirectory, warnings: [String]
    ) {
        let specs: [(name: String, addresses: [String])]
        let origin: String
        switch setting {
        case .list(let list):
            specs = list.map { ($0.name, $0.addresses.map(\.description)) }
            origin = "nodes"
        case .corosync(let path):
            specs = try CorosyncConfiguration.load(path).nodes
            origin = path
        }
        var directory = NodeDirectory()
        var warnings: [String] = []
        for spec in specs {
            var addresses = Set<HostAddress>()
            let sources = spec.addresses.isEmpty ? [spec.name] : spec.addresses
            for source in sources {
                do {
                    addresses.formUnion(try AddressResolver.resolve(source))
                } catch {
                    warnings.append("node '\(spec.name)': \(error)")
                }
            }
            try directory.add(name: spec.name, addresses: addresses.sorted(), origin: origin)
        }
        return (directory, warnings)
    }

    /// Adds a node; an address that another node has already is an error naming both.
    mutating func add(name: String, addresses: [HostAddress], origin: String = "nodes") throws(ConfigurationError) {
        for address in addresses {
            if let owner = nameByAddress[address], owner != name {
                throw ConfigurationError(
                    origin: origin,
                    message:
                        "address \(address) belongs to two nodes, '\(owner)' and '\(name)': give each node its own addresses"
                )
            }
        }
        addressesByName[name, default: []].append(contentsOf: addresses)
        for address in addresses { nameByAddress[address] = name }
    }

    /// Every address of every node.
    public var allAddresses: Set<HostAddress> { Set(nameByAddress.keys) }
}
