import KdumpConfiguration

/// The fence-agents metadata document (`-o metadata`), valid against fence-agents'
/// `metadata.rng`.
///
/// The agent presents itself under the name it was invoked by, so a symlink
/// `fence_kdump` → `fence_kdump_watch` is a drop-in that Pacemaker sees as `fence_kdump`.
public enum AgentMetadata {
    struct Parameter {
        var name: String
        var getopt: String
        var type: String
        var defaultValue: String?
        var description: String
        var required = false
    }

    static let parameters: [Parameter] = [
        Parameter(
            name: "nodename", getopt: "-n, --nodename=NODE[,NODE...]", type: "string", defaultValue: nil,
            description:
                "List of names or IP addresses of the node to be fenced, separated by commas. Required for the \"off\" action. A message from any address of any of them confirms the fence; names resolve to all their addresses."
        ),
        Parameter(
            name: "ipport", getopt: "-p, --ipport=PORT", type: "string", defaultValue: "7410",
            description:
                "UDP port of the fence_kdump messages: the port kdump-watchd must hold (monitor) and the port the fallback listener binds."
        ),
        Parameter(
            name: "family", getopt: "-f, --family=FAMILY", type: "string", defaultValue: "auto",
            description: "IP network family of the node addresses: \"auto\", \"ipv4\" or \"ipv6\"."),
        Parameter(
            name: "action", getopt: "-o, --action=ACTION", type: "string", defaultValue: "off",
            description:
                "Fencing action: \"off\" (or \"reboot\", treated as \"off\"), \"monitor\", \"metadata\" or \"validate-all\"."
        ),
        Parameter(
            name: "timeout", getopt: "-t, --timeout=TIMEOUT", type: "string", defaultValue: "60",
            description: "Number of seconds to wait for a message from the failed node before the fence fails."),
        Parameter(
            name: "verbose", getopt: "-v, --verbose", type: "boolean", defaultValue: nil,
            description: "Print verbose output."),
        Parameter(
            name: "version", getopt: "-V, --version", type: "boolean", defaultValue: nil,
            description: "Print version."),
        Parameter(
            name: "usage", getopt: "-h, --help", type: "boolean", defaultValue: nil,
            description: "Print usage."),
        Parameter(
            name: "max_age", getopt: "--max-age=SECONDS", type: "string", defaultValue: "30",
            description:
                "Oldest message, in seconds before the fence request, that may confirm it (default: kdump-watchd's max_age, 30). 0 accepts only messages that arrive after the request."
        ),
        Parameter(
            name: "socket", getopt: "--socket=PATH", type: "string", defaultValue: "/run/kdump-watch/control.sock",
            description: "Control socket of kdump-watchd."),
        Parameter(
            name: "fallback", getopt: "--fallback=MODE", type: "string", defaultValue: "listen",
            description:
                "What to do when kdump-watchd cannot be reached: \"listen\" binds the UDP port and admits exactly what kdump-watchd's configuration admits (under auth = required, only signed messages); \"none\" fails at once."
        ),
        Parameter(
            name: "config", getopt: "--config=PATH", type: "string", defaultValue: DaemonConfiguration.defaultPath,
            description:
                "kdump-watchd's configuration file, which the fallback listener reads to admit what the daemon would (allow, auth, keys, nodes). If it cannot be read, the fallback fails at once."
        ),
    ]

    /// The project's home, which the metadata gives as its vendor URL (the packages' Homepage
    /// and URL fields name it too).
    public static let homepage = "https://github.com/kdumpwatch/kdumpwatch"

    /// The metadata document for an agent invoked as `agentName`.
    public static func document(agentName: String) -> String {
        var lines = [
            #"<?xml version="1.0" ?>"#,
            #"<resource-agent name="\#(escape(agentName))" shortdesc="fencing agent for use with kdump crash recovery service, backed by kdump-watchd">"#,
            "<longdesc>\(escape(longDescription))</longdesc>",
            "<vendor-url>\(homepage)</vendor-url>",
            "<parameters>",
        ]
        for parameter in parameters {
            lines.append(
                #"\#t<parameter name="\#(parameter.name)" unique="0" required="\#(parameter.required ? 1 : 0)">"#)
            lines.append(#"\#t\#t<getopt mixed="\#(escape(parameter.getopt))" />"#)
            if let defaultValue = parameter.defaultValue {
                lines.append(#"\#t\#t<content type="\#(parameter.type)" default="\#(escape(defaultValue))" />"#)
            } else {
                lines.append(#"\#t\#t<content type="\#(parameter.type)" />"#)
            }
            lines.append(#"\#t\#t<shortdesc lang="en">\#(escape(parameter.description))</shortdesc>"#)
            lines.append("\t</parameter>")
        }
        lines.append("</parameters>")
        lines.append("<actions>")
        for action in ["off", "reboot", "monitor", "metadata", "validate-all"] {
            lines.append(#"\#t<action name="\#(action)" />"#)
        }
        lines.append("</actions>")
        lines.append("</resource-agent>")
        return lines.joined(separator: "\n") + "\n"
    }

    static let longDescription = """
        fence_kdump_watch is an I/O fencing agent to be used with the kdump crash recovery \
        service, and a drop-in replacement for fence_kdump. Instead of listening for the \
        failed node's fence_kdump message itself, it asks the local kdump-watchd daemon, which \
        receives those messages all the time: a node that is already dumping is confirmed at \
        once, any number of nodes can be fenced at the same time, and "monitor" checks that \
        the daemon runs and holds the UDP port. When the daemon cannot be reached it listens \
        itself, like fence_kdump (fallback=listen).

        Note that fence_kdump_watch is not a replacement for traditional fencing methods: it \
        only detects that a node has entered the kdump crash recovery service. Configure it at \
        fencing level 1 and power fencing at level 2.
        """

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
