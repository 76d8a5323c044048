import KdumpCommandLine
import KdumpWire

/// What the fence agent does (`-o/--action`, or `action=`/`option=` on stdin).
public enum AgentAction: String, Sendable, CaseIterable {
    case off
    /// Treated as `off`: a node in kdump reboots by itself once the dump is saved.
    case reboot
    case monitor
    case metadata
    case validateAll = "validate-all"
}

/// What to do when `kdump-watchd` cannot be reached.
public enum FallbackMode: String, Sendable, CaseIterable {
    /// Bind the UDP port and wait for a message, like upstream `fence_kdump`.
    case listen
    /// Fail at once.
    case none
}

/// The agent's settings, with upstream `fence_kdump`'s defaults.
public struct AgentOptions: Sendable, Equatable {
    public var nodenames: [String] = []
    public var ipport: Int = 7410
    public var family: AddressFamily = .auto
    public var action: AgentAction = .off
    /// Seconds to wait for a message.
    public var timeout: Int = 60
    public var verbose: Int = 0
    /// Seconds; nil means the daemon's configured `max_age`.
    public var maxAge: Double?
    /// Control socket; nil means the client default.
    public var socket: String?
    public var fallback: FallbackMode = .listen
    /// kdump-watchd's configuration file, which the fallback listener admits by; nil means
    /// the daemon's default path.
    public var config: String?

    public init() {}
}

/// One reason the agent's input was not accepted; the message names the option or key.
public struct AgentInputError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    /// The message is kept to one line: it quotes stdin or the command line.
    public init(_ message: String) { self.message = message.oneLineMessage }
    public var description: String { message }
}

/// The outcome of reading the command line or stdin.
public struct AgentInvocation: Sendable, Equatable {
    public var options = AgentOptions()
    /// `-h/--help` or `-V/--version` was given: print and exit 0.
    public var printHelp = false
    public var printVersion = false
    /// Keys on stdin that this agent does not know. `validate-all` fails on them; `off` and
    /// `monitor` only warn, so a fence never fails over a key the agent does not know.
    public var unknownKeys: [String] = []
}

/// Reads the fence-agents calling conventions: `getopt_long`-style options, or, with no
/// arguments at all, `key=value` lines on stdin (how Pacemaker calls agents).
///
/// Parsed by hand rather than with swift-argument-parser: fence agents must accept exactly
/// getopt's forms (`-nnode1`, `-n node1`, `--nodename=node1`, `--nodename node1`, bundled `-vv`),
/// must answer every error with exit status 1 (never 64), and the same checks must serve both the
/// command line and stdin.
public enum AgentInputParser {
    /// Keys Pacemaker or fence-agents pass that do not concern this agent.
    public static let ignoredKeys: Set<String> = ["port", "plug", "nodeid", "agent", "separator"]

    private static let commandLineOptions: [GetoptOption] = [
        GetoptOption(long: "nodename", short: "n", takesValue: true),
        GetoptOption(long: "ipport", short: "p", takesValue: true),
        GetoptOption(long: "family", short: "f", takesValue: true),
        GetoptOption(long: "action", short: "o", takesValue: true),
        GetoptOption(long: "timeout", short: "t", takesValue: true),
        GetoptOption(long: "verbose", short: "v", takesValue: false),
        GetoptOption(long: "version", short: "V", takesValue: false),
        GetoptOption(long: "help", short: "h", takesValue: false),
        GetoptOption(long: "max-age", takesValue: true),
        GetoptOption(long: "socket", takesValue: true),
        GetoptOption(long: "fallback", takesValue: true),
        GetoptOption(long: "config", takesValue: true),
    ]

    /// Parses command-line arguments (without the program name).
    public static func parse(arguments: [String]) throws(AgentInputError) -> AgentInvocation {
        var invocation = AgentInvocation()
        let tokens: [GetoptToken]
        do {
            tokens = try GetoptParser.tokenize(arguments, options: commandLineOptions)
        } catch {
            throw AgentInputError(error.message)
        }
        for token in tokens {
            switch token {
            case .option(let name, let value, let spelled):
                try apply(name, value, to: &invocation, origin: spelled)
            case .operand(let text):
                throw AgentInputError("unexpected argument '\(text)'")
            }
        }
        return invocation
    }

    /// Parses `key=value` lines as Pacemaker sends them on stdin.
    ///
    /// `#` comments and blank lines are skipped; keys are case-insensitive; `option` is the old
    /// name of `action`; `verbose` may stand alone.
    public static func parse(stdin text: String) throws(AgentInputError) -> AgentInvocation {
        var invocation = AgentInvocation()
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let key: String
            var value: String?
            if let equals = line.firstIndex(of: "=") {
                key = line[..<equals].trimmingWhitespace().lowercased()
                value = line[line.index(after: equals)...].trimmingWhitespace()
            } else {
                key = line.lowercased()
            }
            let origin = "stdin line \(lineNumber) (\(key))"
            switch key {
            case "nodename", "ipport", "family", "action", "timeout", "socket", "fallback", "config":
                guard let value else { throw AgentInputError("\(origin): needs a value") }
                try apply(key, value, to: &invocation, origin: origin)
            case "option":
                guard let value else { throw AgentInputError("\(origin): needs a value") }
                try apply("action", value, to: &invocation, origin: origin)
            case "max_age", "max-age":
                guard let value else { throw AgentInputError("\(origin): needs a value") }
                try apply("max-age", value, to: &invocation, origin: origin)
            case "verbose":
                // Pacemaker passes booleans as values; fence-agents accept a bare key too.
                let enabled = value.map { ["1", "yes", "true", "on", ""].contains($0.lowercased()) } ?? true
                if enabled { invocation.options.verbose += 1 }
            default:
                if ignoredKeys.contains(key) || key.hasPrefix("pcmk_") || key.hasPrefix("crm_meta_") { continue }
                invocation.unknownKeys.append(key)
            }
        }
        return invocation
    }

    private static func apply(
        _ name: String, _ value: String?, to invocation: inout AgentInvocation, origin: String
    ) throws(AgentInputError) {
        var options = invocation.options
        switch name {
        case "nodename":
            let names = (value ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            guard !names.isEmpty, names.allSatisfy(isTarget) else {
                throw AgentInputError(
                    "\(origin): '\(value ?? "")' is not a comma-separated list of node names or addresses")
            }
            options.nodenames = names
        case "ipport":
            guard let text = value, let port = Int(text), (1...65_535).contains(port) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a port number from 1 to 65535")
            }
            options.ipport = port
        case "family":
            guard let family = AddressFamily(rawValue: (value ?? "").lowercased()) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not one of auto, ipv4, ipv6")
            }
            options.family = family
        case "action":
            guard let action = AgentAction(rawValue: (value ?? "").lowercased()) else {
                throw AgentInputError(
                    "unsupported action '\(value ?? "")' (supported: off, reboot, monitor, metadata, validate-all)")
            }
            options.action = action
        case "timeout":
            guard let text = value, let seconds = Int(text), (1...86_400).contains(seconds) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a whole number of seconds from 1 to 86400")
            }
            options.timeout = seconds
        case "max-age":
            guard let text = value, let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= 604_800,
                text.allSatisfy({ $0.isNumber || $0 == "." })
            else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a number of seconds from 0 to 604800")
            }
            options.maxAge = seconds
        case "socket":
            guard let path = value, path.hasPrefix("/"), path.utf8.count < 108 else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not an absolute socket path")
            }
            options.socket = path
        case "fallback":
            guard let mode = FallbackMode(rawValue: (value ?? "").lowercased()) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not one of listen, none")
            }
            options.fallback = mode
        case "config":
            guard let path = value, path.hasPrefix("/"), path.utf8.count < 4096 else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not an absolute path")
            }
            options.config = path
        case "verbose":
            options.verbose += 1
        case "version":
            invocation.printVersion = true
        case "help":
            invocation.printHelp = true
        default:
            throw AgentInputError("\(origin): unknown option")
        }
        invocation.options = options
    }

    /// A node name or numeric address as resolvers take them.
    static func isTarget(_ text: String) -> Bool {
        HostAddress(text) != nil
            || (text.utf8.count <= 253
                && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...lastIndex(where: { !isSpace($0) })!])
    }
}
