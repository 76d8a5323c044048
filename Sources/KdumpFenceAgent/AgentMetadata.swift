/// The fence-agents metadata document (`-o metadata`), valid against fence-agents'
/// `metadata.rng`.
///
/// The agent presents itself under the name it was invoked by, so a symlink
/// `fence_kdump` → `fence_kdump_watch` is a drop-in that Pacemaker sees as `fence_kdump`.
public enum AgentMetadata {
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
        for parameter in AgentOption.all {
            lines.append(#"\#t<parameter name="\#(parameter.name)" unique="0" required="0">"#)
            lines.append(#"\#t\#t<getopt mixed="\#(escape(parameter.spelling))" />"#)
            if let defaultValue = parameter.defaultText {
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
