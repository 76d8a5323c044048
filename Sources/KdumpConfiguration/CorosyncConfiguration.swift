/// Reads what KdumpWatch needs of a corosync configuration (`corosync.conf(5)`): the
/// `nodelist`'s `node { … }` blocks, each one's `name` and every `ringN_addr`, and
/// `totem.cluster_name`.
///
/// Written by hand: corosync's format is a small nested `key: value` syntax that no package
/// reads, and corosync's own parser (libcmap) needs a running corosync.
package struct CorosyncConfiguration: Sendable {
    package var nodes: [(name: String, addresses: [String])] = []
    /// `totem { cluster_name: … }`; nil when the file has none.
    package var clusterName: String?

    package static func parse(_ text: String, fileName: String) throws(ConfigurationError) -> CorosyncConfiguration {
        var configuration = CorosyncConfiguration()
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
                    configuration.nodes.append((name, node.addresses))
                    current = nil
                }
                stack.removeLast()
            } else if let colon = trimmed.firstIndex(of: ":") {
                let key = trimmed[..<colon].trimmingSpaces()
                let value = trimmed[trimmed.index(after: colon)...].trimmingSpaces()
                if stack == ["nodelist", "node"] {
                    if key == "name" {
                        current?.name = value
                    } else if key.hasPrefix("ring"), key.hasSuffix("_addr") {
                        current?.addresses.append(value)
                    }
                } else if stack == ["totem"], key == "cluster_name" {
                    configuration.clusterName = value
                }
            }
        }
        guard stack.isEmpty else {
            throw ConfigurationError(origin: fileName, message: "unterminated section '\(stack.last!)'")
        }
        return configuration
    }

    /// Reads and parses the file at `path`.
    package static func load(_ path: String) throws(ConfigurationError) -> CorosyncConfiguration {
        let text: String
        do {
            text = try SystemFile.readText(path, limit: 1 << 20)
        } catch {
            throw ConfigurationError(origin: path, message: "cannot read corosync configuration: \(error)")
        }
        return try parse(text, fileName: path)
    }
}
