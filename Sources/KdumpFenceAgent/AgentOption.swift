import KdumpCommandLine
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpWire

/// One option of the fence agent, declared once (as `ConfigurationKey` declares the daemon's):
/// its stdin key and metadata name, its command-line spelling, its value, default and texts,
/// and how its value is read. ``all`` drives getopt, the stdin keys, the metadata document and
/// the usage text.
struct AgentOption: Sendable {
    /// The parameter's name in the metadata and, unless ``onStdin`` is false, its stdin key.
    let name: String
    /// Other stdin keys meaning the same (`option` is the old name of `action`).
    let aliases: [String]
    let long: String
    let short: Unicode.Scalar?
    /// What the value is called (`NODE[,NODE...]`); nil for an option without a value.
    let valueName: String?
    /// The metadata's content type: `string` or `boolean`.
    let type: String
    /// The default the metadata shows; nil for none.
    let defaultText: String?
    /// The metadata's description.
    let description: String
    /// The usage text's line.
    let usage: String
    /// Whether Pacemaker may pass it on stdin (`-h` and `-V` are the command line's only).
    let onStdin: Bool
    /// Reads the value (nil for an option without one) into the invocation; `origin` is what an
    /// error names.
    let apply:
        @Sendable (_ value: String?, _ invocation: inout AgentInvocation, _ origin: String) throws(AgentInputError) ->
            Void

    /// `-n, --nodename=NODE[,NODE...]`, as the metadata's getopt and the usage text write it.
    var spelling: String {
        let value = valueName.map { "=" + $0 } ?? ""
        return (short.map { "-\($0), " } ?? "") + "--" + long + value
    }

    var getopt: GetoptOption { GetoptOption(long: long, short: short, takesValue: valueName != nil) }

    /// The option whose stdin key (or alias) is `key`.
    static func onStdin(_ key: String) -> AgentOption? {
        all.first { $0.onStdin && ($0.name == key || $0.aliases.contains(key)) }
    }

    /// The option spelled `--long` on the command line.
    static func named(long: String) -> AgentOption? { all.first { $0.long == long } }

    /// Every option, in the order the usage and the metadata list them.
    static let all: [AgentOption] = [
        AgentOption(
            name: "nodename", aliases: [], long: "nodename", short: "n", valueName: "NODE[,NODE...]", type: "string",
            defaultText: nil,
            description:
                "List of names or IP addresses of the node to be fenced, separated by commas. Required for the \"off\" action. A message from any address of any of them confirms the fence; names resolve to all their addresses.",
            usage: "List of names or IP addresses of node to be fenced", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            let names = (value ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            guard !names.isEmpty, names.allSatisfy(AgentInputParser.isTarget) else {
                throw AgentInputError(
                    "\(origin): '\(value ?? "")' is not a comma-separated list of node names or addresses")
            }
            invocation.options.nodenames = names
        },
        AgentOption(
            name: "ipport", aliases: [], shared: .ipport, valueName: "PORT", type: "string",
            defaultText: String(KdumpDatagram.defaultPort),
            description:
                "UDP port of the fence_kdump messages: the port kdump-watchd must hold (monitor) and the port the fallback listener binds.",
            usage: "IP port number (default: \(KdumpDatagram.defaultPort))", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            guard let text = value, let port = Int(text), (1...65_535).contains(port) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a port number from 1 to 65535")
            }
            invocation.options.ipport = port
        },
        AgentOption(
            name: "family", aliases: [], shared: .family, valueName: "FAMILY", type: "string",
            defaultText: AddressFamily.auto.rawValue,
            description: "IP network family of the node addresses: \"auto\", \"ipv4\" or \"ipv6\".",
            usage: "Network family: ([auto], ipv4, ipv6)", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            invocation.options.family = try choice(value, origin: origin)
        },
        AgentOption(
            name: "action", aliases: ["option"], long: "action", short: "o", valueName: "ACTION", type: "string",
            defaultText: AgentAction.off.rawValue,
            description:
                "Fencing action: \"off\" (or \"reboot\", treated as \"off\"), \"monitor\", \"metadata\" or \"validate-all\".",
            usage: "Fencing action: ([off], reboot, monitor, metadata, validate-all)", onStdin: true
        ) { (value, invocation, _) throws(AgentInputError) in
            guard let action = AgentAction(rawValue: (value ?? "").lowercased()) else {
                throw AgentInputError(
                    "unsupported action '\(value ?? "")' (supported: off, reboot, monitor, metadata, validate-all)")
            }
            invocation.options.action = action
        },
        AgentOption(
            name: "timeout", aliases: [], long: "timeout", short: "t", valueName: "TIMEOUT", type: "string",
            defaultText: String(AgentOptions().timeout),
            description: "Number of seconds to wait for a message from the failed node before the fence fails.",
            usage: "Timeout in seconds (default: \(AgentOptions().timeout))", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            guard let text = value, let seconds = Int(text), (1...86_400).contains(seconds) else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a whole number of seconds from 1 to 86400")
            }
            invocation.options.timeout = seconds
        },
        AgentOption(
            name: "verbose", aliases: [], shared: .verbose, valueName: nil, type: "boolean",
            defaultText: nil, description: "Print verbose output.", usage: "Print verbose output", onStdin: true
        ) { (value, invocation, _) throws(AgentInputError) in
            // Pacemaker passes booleans as values; fence-agents accept a bare key too.
            if value.map({ ["1", "yes", "true", "on", ""].contains($0.lowercased()) }) ?? true {
                invocation.options.verbose += 1
            }
        },
        AgentOption(
            name: "version", aliases: [], shared: .version, valueName: nil, type: "boolean",
            defaultText: nil, description: "Print version.", usage: "Print version", onStdin: false
        ) { (_, invocation, _) throws(AgentInputError) in invocation.printVersion = true },
        AgentOption(
            name: "usage", aliases: [], shared: .help, valueName: nil, type: "boolean", defaultText: nil,
            description: "Print usage.", usage: "Print usage", onStdin: false
        ) { (_, invocation, _) throws(AgentInputError) in invocation.printHelp = true },
        AgentOption(
            name: "max_age", aliases: ["max-age"], long: "max-age", short: nil, valueName: "SECONDS", type: "string",
            defaultText: DaemonConfiguration().maxAge.secondsValue.plainText,
            description:
                "Oldest message, in seconds before the fence request, that may confirm it (default: kdump-watchd's max_age, \(DaemonConfiguration().maxAge.secondsValue.plainText)). 0 accepts only messages that arrive after the request.",
            usage: "Oldest acceptable message before the request (default: kdump-watchd's)", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            guard let text = value, let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= 604_800,
                text.allSatisfy({ $0.isNumber || $0 == "." })
            else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not a number of seconds from 0 to 604800")
            }
            invocation.options.maxAge = seconds
        },
        AgentOption(
            name: "socket", aliases: [], long: "socket", short: nil, valueName: "PATH", type: "string",
            defaultText: ControlSocketPath.system, description: "Control socket of kdump-watchd.",
            usage: "kdump-watchd control socket (default: \(ControlSocketPath.system))", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            guard let path = value, path.hasPrefix("/"), path.utf8.count < 108 else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not an absolute socket path")
            }
            invocation.options.socket = path
        },
        AgentOption(
            name: "fallback", aliases: [], long: "fallback", short: nil, valueName: "MODE", type: "string",
            defaultText: FallbackMode.listen.rawValue,
            description:
                "What to do when kdump-watchd cannot be reached: \"listen\" binds the UDP port and admits exactly what kdump-watchd's configuration admits (under auth = required, only signed messages); \"none\" fails at once.",
            usage: "When kdump-watchd is unreachable: [listen], none", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            invocation.options.fallback = try choice(value, origin: origin)
        },
        AgentOption(
            name: "config", aliases: [], long: "config", short: nil, valueName: "PATH", type: "string",
            defaultText: DaemonConfiguration.defaultPath,
            description:
                "kdump-watchd's configuration file, which the fallback listener reads to admit what the daemon would (allow, auth, keys, nodes). If it cannot be read, the fallback fails at once.",
            usage: "kdump-watchd's configuration, for the fallback (default: \(DaemonConfiguration.defaultPath))",
            onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            guard let path = value, path.hasPrefix("/"), path.utf8.count < 4096 else {
                throw AgentInputError("\(origin): '\(value ?? "")' is not an absolute path")
            }
            invocation.options.config = path
        },
        AgentOption(
            name: "monitor_readiness", aliases: [], long: "monitor-readiness", short: nil, valueName: "MODE",
            type: "string", defaultText: ReadinessMode.warn.rawValue,
            description:
                "What monitor does when kdump-watchd says a crash of this node would not be caught by its capture kernel: \"warn\" logs the failing checks and succeeds; \"fail\" fails, so that Pacemaker stops the device.",
            usage: "When this node's crash would not be caught: [warn], fail", onStdin: true
        ) { (value, invocation, origin) throws(AgentInputError) in
            invocation.options.monitorReadiness = try choice(value, origin: origin)
        },
    ]
}

/// The case of `Choice` that `value` names, in any letter case; else the one-line error that
/// lists the choices.
private func choice<Choice: RawRepresentable & CaseIterable>(_ value: String?, origin: String)
    throws(AgentInputError) -> Choice where Choice.RawValue == String
{
    guard let choice = Choice(rawValue: (value ?? "").lowercased()) else {
        let choices = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        throw AgentInputError("\(origin): '\(value ?? "")' is not one of \(choices)")
    }
    return choice
}

extension AgentOption {
    /// An option `fence_kdump_send` has too: its spelling comes from the one declaration both
    /// commands use (`GetoptOption.ipport` and the others).
    init(
        name: String, aliases: [String], shared: GetoptOption, valueName: String?, type: String,
        defaultText: String?, description: String, usage: String, onStdin: Bool,
        apply:
            @escaping @Sendable (_ value: String?, _ invocation: inout AgentInvocation, _ origin: String)
            throws(AgentInputError) -> Void
    ) {
        self.init(
            name: name, aliases: aliases, long: shared.long, short: shared.short, valueName: valueName, type: type,
            defaultText: defaultText, description: description, usage: usage, onStdin: onStdin, apply: apply)
    }
}
