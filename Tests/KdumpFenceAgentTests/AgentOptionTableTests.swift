import Foundation
import Testing

@testable import KdumpFenceAgent

/// One table of options (``AgentOption/all``) drives getopt, the stdin keys, the metadata and
/// the usage text: each option is in all four, and nothing else is.
@Suite struct AgentOptionTableTests {
    @Test func everyOptionIsInTheUsageTheMetadataAndTheParsers() throws {
        let usage = FenceAgent.usage(agentName: "fence_kdump_watch")
        let metadata = AgentMetadata.document(agentName: "fence_kdump_watch")
        for option in AgentOption.all {
            #expect(usage.contains(option.spelling + " ") || usage.contains(option.spelling + option.usage))
            #expect(metadata.contains(#"<parameter name="\#(option.name)""#), "\(option.name)")
            #expect(metadata.contains(#"<getopt mixed="\#(AgentMetadata.escape(option.spelling))" />"#))
            let onCommandLine = try AgentInputParser.parse(
                arguments: ["--\(option.long)"] + (option.valueName == nil ? [] : [Self.sample(option)]))
            #expect(onCommandLine.unknownKeys.isEmpty)
            guard option.onStdin else { continue }
            for key in [option.name] + option.aliases {
                let invocation = try AgentInputParser.parse(
                    stdin: option.valueName == nil ? key : "\(key)=\(Self.sample(option))")
                #expect(invocation.unknownKeys.isEmpty, "\(key) is a stdin key")
            }
        }
        #expect(metadata.components(separatedBy: "<parameter ").count - 1 == AgentOption.all.count)
    }

    /// A value each option accepts.
    static func sample(_ option: AgentOption) -> String {
        switch option.name {
        case "nodename": "node1"
        case "ipport": "7410"
        case "family": "ipv4"
        case "action": "monitor"
        case "timeout", "max_age": "5"
        case "socket": "/run/x.sock"
        case "fallback": "none"
        case "config": "/etc/x.conf"
        case "monitor_readiness": "fail"
        default: "1"
        }
    }
}
