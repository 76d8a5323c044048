import Foundation
import KdumpFenceAgent
import Testing

@Suite struct AgentMetadataTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// fence-agents' own RELAX NG schema for agent metadata, from the unpacked Debian package:
    /// `FENCE_AGENTS_SCHEMA` as `make test` exports it, else what the script unpacks.
    static let schema: String? = {
        if let path = ProcessInfo.processInfo.environment["FENCE_AGENTS_SCHEMA"] { return path }
        let script = repository.appendingPathComponent("scripts/reference-agents.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script, repository.appendingPathComponent(".build-reference").path]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").first { $0.hasPrefix("FENCE_AGENTS_SCHEMA=") }
            .map { String($0.dropFirst("FENCE_AGENTS_SCHEMA=".count)) }
    }()

    @Test(arguments: ["fence_kdump_watch", "fence_kdump"])
    func validatesAgainstTheFenceAgentsSchema(name: String) throws {
        let document = AgentMetadata.document(agentName: name)
        #expect(document.contains("<resource-agent name=\"\(name)\""))
        let path = "/tmp/kdump-watch-metadata-\(UUID().uuidString).xml"
        try document.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let schema = try #require(Self.schema, "fence-agents' metadata.rng (scripts/reference-agents.sh)")
        let xmllint = Process()
        xmllint.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        xmllint.arguments = ["--noout", "--relaxng", schema, path]
        let errors = Pipe()
        xmllint.standardError = errors
        try xmllint.run()
        xmllint.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(xmllint.terminationStatus == 0, "\(message)")
    }

    @Test func listsEveryParameterWithItsDefaultAndEveryAction() {
        let document = AgentMetadata.document(agentName: "fence_kdump_watch")
        for (name, defaultValue) in [
            ("nodename", nil), ("ipport", "7410"), ("family", "auto"), ("action", "off"), ("timeout", "60"),
            ("verbose", nil), ("version", nil), ("usage", nil), ("max_age", "30"),
            ("socket", "/run/kdump-watch/control.sock"),
            ("fallback", "listen"),
        ] {
            #expect(document.contains("<parameter name=\"\(name)\""), "\(name)")
            if let defaultValue { #expect(document.contains("default=\"\(defaultValue)\""), "\(name) default") }
        }
        for action in ["off", "reboot", "monitor", "metadata", "validate-all"] {
            #expect(document.contains("<action name=\"\(action)\" />"))
        }
    }

    /// The vendor URL is this project's, not upstream fence-agents' (whose agent this is not).
    @Test func theVendorURLIsTheProjectsOwn() {
        let document = AgentMetadata.document(agentName: "fence_kdump_watch")
        #expect(document.contains("<vendor-url>\(AgentMetadata.homepage)</vendor-url>"))
        #expect(!document.contains("ClusterLabs"))
    }
}
