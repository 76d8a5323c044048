import KdumpDecision
import KdumpState
import KdumpWire
import Logging

/// Everything `kdump-watchd` can be told, in `kdump-watchd.conf(5)` or by command-line flags.
///
/// Every key of the file is also a flag (`state_dir` ↔ `--state-dir`); flags win over the file.
/// Values are checked once, by ``ConfigurationParser``, whichever way they come.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Addresses to bind the UDP socket to; empty means one dual-stack socket on `::`
    /// (or `0.0.0.0` where IPv6 is disabled).
    public var listen: [HostAddress] = []
    /// The UDP port; 0 picks a free port (for tests; `health` tells which).
    public var port: Int = 7410
    /// The control socket's path; nil means the default for this user (``ControlSocketPath``).
    public var controlSocket: String?
    /// The group allowed on the control socket; nil means `haclient` if that group exists.
    public var controlGroup: String?
    /// Where the state file lives; nil means `/var/lib/kdump-watch`, or a per-user fallback.
    public var stateDirectory: String?
    /// The cluster's nodes, to name senders and resolve wait targets.
    public var nodes: NodesSetting = .list([])
    /// Which senders are accepted; empty accepts any.
    public var allow: [AllowRule] = []
    public var finishedAfter: Duration = .seconds(30)
    public var retain: Duration = .seconds(86_400)
    /// Default `max_age` of waits that do not give one.
    public var maxAge: Duration = .seconds(30)
    public var maxHosts: Int = 4096
    public var maxClients: Int = 128
    /// Datagrams a second accepted from one sender (bursts of twice that); 0 turns it off.
    public var rateLimit: Int = 100
    /// How long a control client may take to send a complete request.
    public var clientIdleTimeout: Duration = .seconds(30)
    public var logLevel: Logger.Level = .info

    public init() {}

    /// The table settings this configuration asks for.
    public var tableSettings: TableSettings {
        TableSettings(finishedAfter: finishedAfter, retain: retain, maxHosts: maxHosts)
    }

    /// The keys that take effect only after a restart.
    public func restartOnlyDifferences(from other: DaemonConfiguration) -> [String] {
        var keys: [String] = []
        if listen != other.listen { keys.append("listen") }
        if port != other.port { keys.append("port") }
        if controlSocket != other.controlSocket { keys.append("control_socket") }
        if controlGroup != other.controlGroup { keys.append("control_group") }
        if stateDirectory != other.stateDirectory { keys.append("state_dir") }
        return keys
    }
}

/// The `nodes` setting: an explicit list, or the nodelist of a corosync configuration.
public enum NodesSetting: Sendable, Equatable {
    case list([NodeSpec])
    /// `corosync` (the default path) or `corosync:PATH`.
    case corosync(path: String)

    public static let defaultCorosyncPath = "/etc/corosync/corosync.conf"
}

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

/// A configuration value that was rejected, with where it came from.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `FILE:LINE` or `--flag`.
    public var origin: String
    public var message: String

    /// The message is kept to one line: it quotes the configuration.
    public init(origin: String, message: String) {
        self.origin = origin
        self.message = message.oneLineMessage
    }

    public var description: String { "\(origin): \(message)" }
}

/// Parses `kdump-watchd.conf` and flag values into a ``DaemonConfiguration``.
public enum ConfigurationParser {
    /// Every key, in the order the documentation lists them.
    public static let keys = [
        "listen", "port", "control_socket", "control_group", "state_dir", "nodes", "allow",
        "finished_after", "retain", "max_age", "max_hosts", "max_clients", "client_idle_timeout", "rate_limit",
        "log_level",
    ]

    /// The flag that sets `key`.
    public static func flag(for key: String) -> String {
        "--" + key.replacingUnderscores()
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
                let key = trimmed[..<equals].trimmingSpaces()
                let value = trimmed[trimmed.index(after: equals)...].trimmingSpaces()
                guard keys.contains(key) else {
                    throw ConfigurationError(origin: origin, message: "unknown key '\(key)'")
                }
                do {
                    try apply(key: key, value: value, to: &configuration)
                } catch {
                    throw ConfigurationError(origin: origin, message: "\(key): \(error.message)")
                }
                origins[String(key)] = origin
            }
        }
        for (key, value) in overrides {
            let origin = flag(for: key)
            guard keys.contains(key) else {
                throw ConfigurationError(origin: origin, message: "unknown option")
            }
            do {
                try apply(key: key, value: value.trimmingSpaces(), to: &configuration)
            } catch {
                throw ConfigurationError(origin: origin, message: error.message)
            }
            origins[key] = origin
        }
        if configuration.retain < configuration.finishedAfter {
            let finishedAfterOrigin = origins["finished_after"].map { "set at \($0)" } ?? "the default"
            throw ConfigurationError(
                origin: origins["retain"] ?? origins["finished_after"] ?? fileName,
                message:
                    "retain (\(configuration.retain.secondsValue)s) must be at least finished_after (\(configuration.finishedAfter.secondsValue)s, \(finishedAfterOrigin))"
            )
        }
        return configuration
    }

    struct ValueError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    private static func apply(
        key: String, value: String, to configuration: inout DaemonConfiguration
    ) throws(ValueError) {
        switch key {
        case "listen":
            configuration.listen = try list(value).map { (item) throws(ValueError) in
                guard let address = HostAddress(item) else {
                    throw ValueError("'\(item)' is not a numeric IP address")
                }
                return address
            }
        case "port":
            configuration.port = try integer(value, in: 0...65_535)
        case "control_socket":
            configuration.controlSocket = try absolutePath(value, limit: 107)
        case "control_group":
            guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) })
            else { throw ValueError("'\(value)' is not a group name") }
            configuration.controlGroup = value
        case "state_dir":
            configuration.stateDirectory = try absolutePath(value, limit: 4000)
        case "nodes":
            configuration.nodes = try nodes(value)
        case "allow":
            configuration.allow = try list(value).map { (item) throws(ValueError) in
                if item == "nodes" { return .nodes }
                guard let range = AddressRange(item) else {
                    throw ValueError("'\(item)' is not an address, a CIDR block or 'nodes'")
                }
                return .range(range)
            }
        case "finished_after":
            configuration.finishedAfter = try duration(value, allowZero: false)
        case "retain":
            configuration.retain = try duration(value, allowZero: false)
        case "max_age":
            configuration.maxAge = try duration(value, allowZero: true)
        case "max_hosts":
            configuration.maxHosts = try integer(value, in: 1...1_000_000)
        case "max_clients":
            configuration.maxClients = try integer(value, in: 1...100_000)
        case "rate_limit":
            configuration.rateLimit = try integer(value, in: 0...1_000_000)
        case "client_idle_timeout":
            configuration.clientIdleTimeout = try duration(value, allowZero: false)
        case "log_level":
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ValueError(
                    "'\(value)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.logLevel = level
        default:
            throw ValueError("unknown key")
        }
    }

    /// Items separated by commas and/or white space.
    private static func list(_ value: String) throws(ValueError) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }

    private static func integer(_ value: String, in range: ClosedRange<Int>) throws(ValueError) -> Int {
        guard let number = Int(value), value.allSatisfy(\.isASCII), range.contains(number) else {
            throw ValueError("'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func absolutePath(_ value: String, limit: Int) throws(ValueError) -> String {
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

    private static func nodes(_ value: String) throws(ValueError) -> NodesSetting {
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

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }

    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
