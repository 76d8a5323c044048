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
    public var ipport: Int = KdumpDatagram.defaultPort
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

    /// Parses command-line arguments (without the program name).
    public static func parse(arguments: [String]) throws(AgentInputError) -> AgentInvocation {
        var invocation = AgentInvocation()
        let tokens: [GetoptToken]
        do {
            tokens = try GetoptParser.tokenize(arguments, options: AgentOption.all.map(\.getopt))
        } catch {
            throw AgentInputError(error.message)
        }
        for token in tokens {
            switch token {
            case .option(let name, let value, let spelled):
                guard let option = AgentOption.named(long: name) else {
                    throw AgentInputError("\(spelled): unknown option")
                }
                try option.apply(value, &invocation, spelled)
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
            if let option = AgentOption.onStdin(key) {
                guard value != nil || option.valueName == nil else {
                    throw AgentInputError("\(origin): needs a value")
                }
                try option.apply(value, &invocation, origin)
            } else if !(ignoredKeys.contains(key) || key.hasPrefix("pcmk_") || key.hasPrefix("crm_meta_")) {
                invocation.unknownKeys.append(key)
            }
        }
        return invocation
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
