import Foundation
import KdumpFenceAgent
import Testing

@Suite struct AgentMetadataTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: ["fence_kdump_watch", "fence_kdump"])
    func validatesAgainstTheFenceAgentsSchema(name: String) throws {
        let document = AgentMetadata.document(agentName: name)
        #expect(document.contains("<resource-agent name=\"\(name)\""))
        let path = "/tmp/kdump-watch-metadata-\(UUID().uuidString).xml"
        try document.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let schema = Self.repository.appendingPathComponent("../shared/reference/fence-agents-metadata.rng")
            .standardized.path
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
}
