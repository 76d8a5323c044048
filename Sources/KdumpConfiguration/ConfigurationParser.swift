import KdumpDecision
import KdumpWire
import Logging

/// Reads `kdump-watchd.conf` and `kdump-watchd`'s flags into a ``DaemonConfiguration``, by the
/// keys of ``ConfigurationKey/all``.
public enum ConfigurationParser {
    /// A value that a key does not accept; the caller adds where it came from.
    public struct ValueError: Error {
        public var message: String
        init(_ message: String) { self.message = message }
    }

    /// Builds a configuration from the file's text (if any) and then the flags, in order.
    ///
    /// - Parameters:
    ///   - fileText: the file's contents, nil when there is no file.
    ///   - fileName: the name errors quote.
    ///   - overrides: `(key, value)` pairs from flags, applied after the file.
    public static func parse(
        fileText: String?, fileName: String, overrides: [(key: String, value: String)]
    ) throws(ConfigurationError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        // Where each key was last set, for errors that involve two keys.
        var origins: [String: String] = [:]
        if let fileText {
            var lineNumber = 0
            for rawLine in fileText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
                lineNumber += 1
                let origin = "\(fileName):\(lineNumber)"
                var line = Substring(rawLine)
                if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
                let trimmed = line.trimmingSpaces()
                if trimmed.isEmpty { continue }
                guard let equals = trimmed.firstIndex(of: "=") else {
                    throw ConfigurationError(origin: origin, message: "expected 'key = value', got '\(trimmed)'")
                }
                let name = trimmed[..<equals].trimmingSpaces()
                let value = trimmed[trimmed.index(after: equals)...].trimmingSpaces()
                guard let key = ConfigurationKey.named(name) else {
                    throw ConfigurationError(origin: origin, message: "unknown key '\(name)'")
                }
                do {
                    try key.set(value, in: &configuration)
                } catch {
                    throw ConfigurationError(origin: origin, message: "\(name): \(error.message)")
                }
                origins[name] = origin
            }
        }
        for (name, value) in overrides {
            guard let key = ConfigurationKey.named(name) else {
                throw ConfigurationError(origin: "--" + name, message: "unknown option")
            }
            do {
                try key.set(value.trimmingSpaces(), in: &configuration)
            } catch {
                throw ConfigurationError(origin: key.flag, message: error.message)
            }
            origins[name] = key.flag
        }
        if configuration.retain < configuration.finishedAfter {
            let finishedAfterOrigin = origins["finished_after"].map { "set at \($0)" } ?? "the default"
            throw ConfigurationError(
                origin: origins["retain"] ?? origins["finished_after"] ?? fileName,
                message:
                    "retain (\(configuration.retain.secondsValue)s) must be at least finished_after (\(configuration.finishedAfter.secondsValue)s, \(finishedAfterOrigin))"
            )
        }
        if configuration.clockMargin > configuration.authWindow {
            throw ConfigurationError(
                origin: origins["clock_margin"] ?? origins["auth_window"] ?? fileName,
                message:
                    "clock_margin (\(configuration.clockMargin.secondsValue)s) must be at most auth_window (\(configuration.authWindow.secondsValue)s)"
            )
        }
        if configuration.auth != .none && configuration.authKeys.isEmpty {
            throw ConfigurationError(
                origin: origins["auth"] ?? fileName,
                message: "auth = \(configuration.auth.rawValue) needs auth_key (kdump-watchctl keygen makes one)")
        }
        return configuration
    }

    /// The `(key, value)` pairs of key flags on a command line: `--state-dir PATH` or
    /// `--state-dir=PATH`, for every key of ``ConfigurationKey/all``. Anything else is an error
    /// naming the argument.
    public static func overrides(fromArguments arguments: [String]) throws(ConfigurationError) -> [(
        key: String, value: String
    )] {
        var result: [(key: String, value: String)] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            let flag = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard argument.hasPrefix("--"), let key = ConfigurationKey.flagged(flag) else {
                throw ConfigurationError(origin: argument, message: "unknown option")
            }
            if flag.count < argument.count {
                result.append((key.name, String(argument.dropFirst(flag.count + 1))))
            } else if let value = rest.popFirst() {
                result.append((key.name, value))
            } else {
                throw ConfigurationError(origin: flag, message: "missing value (\(key.valueName))")
            }
        }
        return result
    }

    /// What `kdump-watchd --help` lists after its own options: every key's flag, help and
    /// default, and which keys only a restart applies.
    public static var flagsHelp: String {
        var lines = ["Every key of kdump-watchd.conf(5) is also an option; options win over the file."]
        for key in ConfigurationKey.all {
            lines.append("  \(key.flag) <\(key.valueName)>")
            lines.append("      \(key.help); default \(key.defaultText)")
        }
        let restartOnly = ConfigurationKey.restartOnly.map(\.name).joined(separator: ", ")
        lines.append("SIGHUP re-reads the file; \(restartOnly) take effect only after a restart.")
        return lines.joined(separator: "\n")
    }

    // MARK: Values

    static func addresses(_ value: String) throws(ValueError) -> [HostAddress] {
        try list(value).map { (item) throws(ValueError) in
            guard let address = HostAddress(item) else { throw ValueError("'\(item)' is not a numeric IP address") }
            return address
        }
    }

    /// `ADDRESS:PORT` items, an IPv6 address in brackets; the port is required (no port is
    /// registered for this endpoint, so any default would be a guess).
    static func endpoints(_ value: String) throws(ValueError) -> [ListenEndpoint] {
        try list(value).map { (item) throws(ValueError) in
            guard let colon = item.lastIndex(of: ":") else {
                throw ValueError("'\(item)' is not ADDRESS:PORT (e.g. 127.0.0.1:9810 or [::1]:9810)")
            }
            var host = item[..<colon]
            if host.hasPrefix("[") && host.hasSuffix("]") {
                host = host.dropFirst().dropLast()
            } else if host.contains(":") {
                throw ValueError("'\(item)': write an IPv6 address in brackets, as [::1]:9810")
            }
            guard let address = HostAddress(String(host)) else {
                throw ValueError("'\(host)' is not a numeric IP address")
            }
            let portText = item[item.index(after: colon)...]
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), port <= 65_535 else {
                throw ValueError("'\(portText)' is not a TCP port (0-65535)")
            }
            return ListenEndpoint(address: address, port: port)
        }
    }

    static func groupName(_ value: String) throws(ValueError) -> String? {
        guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) })
        else { throw ValueError("'\(value)' is not a group name") }
        return value
    }

    /// A cluster name as corosync's `totem.cluster_name` spells them; empty is allowed (and
    /// means an empty name, not corosync's).
    static func clusterName(_ value: String) throws(ValueError) -> String? {
        guard value.utf8.count <= 255,
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
        else { throw ValueError("'\(value)' is not a cluster name (letters, digits, '.', '_', '-')") }
        return value
    }

    static func allowRules(_ value: String) throws(ValueError) -> [AllowRule] {
        try list(value).map { (item) throws(ValueError) in
            if item == "nodes" { return .nodes }
            guard let range = AddressRange(item) else {
                throw ValueError("'\(item)' is not an address, a CIDR block or 'nodes'")
            }
            return .range(range)
        }
    }

    static func keyFiles(_ value: String) throws(ValueError) -> [String] {
        let paths = try list(value)
        guard (1...2).contains(paths.count) else { throw ValueError("give one key file, or two while keys rotate") }
        return try paths.map { (path) throws(ValueError) in try absolutePath(path, limit: 4000) }
    }

    static func authMode(_ value: String) throws(ValueError) -> AuthMode? {
        guard let mode = AuthMode(rawValue: value.lowercased()) else {
            throw ValueError("'\(value)' is not one of none, optional, required")
        }
        return mode
    }

    static func logLevel(_ value: String) throws(ValueError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: value.lowercased()) else {
            throw ValueError(
                "'\(value)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }

    /// A duration as the documentation writes defaults: `30s`, `5m`, `24h`.
    static func durationText(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("h", Int64(3600)), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(duration.secondsValue.plainText)s"
    }

    /// Items separated by commas and/or white space.
    static func list(_ value: String) throws(ValueError) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }

    static func integer(_ value: String, in range: ClosedRange<Int>) throws(ValueError) -> Int {
        guard let number = Int(value), value.allSatisfy(\.isASCII), range.contains(number) else {
            throw ValueError("'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func absolutePath(_ value: String, limit: Int) throws(ValueError) -> String {
        guard value.hasPrefix("/"), value.utf8.count <= limit, !value.utf8.contains(0) else {
            throw ValueError("'\(value)' is not an absolute path of at most \(limit) bytes")
        }
        return value
    }

    /// A duration: a number with an optional unit `s`, `m`, `h` or `d` (default seconds).
    static func duration(_ value: String, allowZero: Bool) throws(ValueError) -> Duration {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(value)
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard let amount = Double(number), number.allSatisfy({ $0.isNumber || $0 == "." }),
            amount.isFinite, amount * scale <= 31_536_000, allowZero ? amount >= 0 : amount > 0
        else {
            throw ValueError(
                "'\(value)' is not a duration (e.g. 30, 30s, 5m, 24h, 7d; at most a year\(allowZero ? "" : ", above 0"))"
            )
        }
        return .milliseconds(Int64((amount * scale * 1000).rounded()))
    }

    static func nodes(_ value: String) throws(ValueError) -> NodesSetting {
        if value == "corosync" { return .corosync(path: NodesSetting.defaultCorosyncPath) }
        if value.hasPrefix("corosync:") {
            return .corosync(path: try absolutePath(String(value.dropFirst("corosync:".count)), limit: 4000))
        }
        var specs: [NodeSpec] = []
        for item in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard isNodeName(name) else { throw ValueError("'\(name)' is not a node name") }
            guard !specs.contains(where: { $0.name == name }) else {
                throw ValueError("node '\(name)' is listed twice")
            }
            var addresses: [HostAddress] = []
            if parts.count == 2 {
                for text in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                    guard let address = HostAddress(String(text)) else {
                        throw ValueError("'\(text)' (node \(name)) is not a numeric IP address")
                    }
                    addresses.append(address)
                }
            }
            specs.append(NodeSpec(name: name, addresses: addresses))
        }
        return .list(specs)
    }

    /// Host names as resolvers accept them: letters, digits, `-`, `.` and `_`.
    static func isNodeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 253
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }
}
