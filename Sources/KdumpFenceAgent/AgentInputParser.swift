import KdumpCommandLine
import KdumpWire

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
