import KdumpConfiguration
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
    /// An unreadable or malformed corosync file is an error.
    public static func load(_ setting: NodesSetting) throws(ConfigurationError) -> (
        directory: NodeDirectory, warnings: [String]
    ) {
        let specs: [(name: String, addresses: [String])]
        switch setting {
        case .list(let list):
            specs = list.map { ($0.name, $0.addresses.map(\.description)) }
        case .corosync(let path):
            let text: String
            do {
                text = try FileIO.readText(path, limit: 1 << 20)
            } catch {
                throw ConfigurationError(origin: path, message: "cannot read corosync configuration: \(error)")
            }
            specs = try CorosyncNodelist.parse(text, fileName: path)
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
            directory.add(name: spec.name, addresses: addresses.sorted())
        }
        return (directory, warnings)
    }

    mutating func add(name: String, addresses: [HostAddress]) {
        addressesByName[name, default: []].append(contentsOf: addresses)
        for address in addresses where nameByAddress[address] == nil { nameByAddress[address] = name }
    }

    /// Every address of every node.
    public var allAddresses: Set<HostAddress> { Set(nameByAddress.keys) }
}

/// Reads the `nodelist` of a corosync configuration: each `node { … }` block's `name` and
/// every `ringN_addr`.
enum CorosyncNodelist {
    static func parse(_ text: String, fileName: String) throws(ConfigurationError) -> [(
        name: String, addresses: [String]
    )] {
        var nodes: [(name: String, addresses: [String])] = []
        var stack: [String] = []
        var current: (name: String?, addresses: [String])?
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty { continue }
            if trimmed.hasSuffix("{") {
                let section = trimmed.dropLast().trimmingSpaces()
                stack.append(section)
                if stack == ["nodelist", "node"] { current = (nil, []) }
            } else if trimmed == "}" {
                guard !stack.isEmpty else {
                    throw ConfigurationError(origin: "\(fileName):\(lineNumber)", message: "unbalanced '}'")
                }
                if stack == ["nodelist", "node"], let node = current {
                    guard let name = node.name ?? node.addresses.first else {
                        throw ConfigurationError(
                            origin: "\(fileName):\(lineNumber)", message: "node without name or ring0_addr")
                    }
                    nodes.append((name, node.addresses))
                    current = nil
                }
                stack.removeLast()
            } else if stack == ["nodelist", "node"], let colon = trimmed.firstIndex(of: ":") {
                let key = trimmed[..<colon].trimmingSpaces()
                let value = trimmed[trimmed.index(after: colon)...].trimmingSpaces()
                if key == "name" {
                    current?.name = value
                } else if key.hasPrefix("ring"), key.hasSuffix("_addr") {
                    current?.addresses.append(value)
                }
            }
        }
        guard stack.isEmpty else {
            throw ConfigurationError(origin: fileName, message: "unterminated section '\(stack.last!)'")
        }
        return nodes
    }
}

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
