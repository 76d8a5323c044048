import Foundation
import Testing

/// Every `pcs` command of the operator's guide and of fence_kdump_watch(8), run by the real
/// `pcs` against a CIB file (`pcs -f`, no cluster needed), and the result checked by
/// `crm_verify`. In PacemakerInteropTests, which is serialized, because both put the agent at
/// /usr/sbin/fence_kdump_watch, where Pacemaker and pcs look for it.
extension PacemakerInteropTests {
    static let pcs = "/usr/sbin/pcs"

    /// The ```sh blocks of `markdown` that run `pcs`, each with the heading it stands under.
    static func pcsBlocks(inMarkdown markdown: String) -> [(heading: String, script: String)] {
        var blocks: [(String, String)] = []
        var heading = ""
        var current: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, line.hasPrefix("#") { heading = String(line.drop { $0 == "#" || $0 == " " }) }
            if trimmed == "```sh" {
                current = []
            } else if trimmed == "```", let lines = current {
                if lines.contains(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("pcs ") }) {
                    blocks.append((heading, lines.joined(separator: "\n")))
                }
                current = nil
            } else if current != nil {
                current?.append(String(line))
            }
        }
        return blocks
    }

    /// An empty CIB with three quorate, online nodes: levels need their nodes, and crm_verify
    /// warns about unclean nodes without a status.
    static func makeCIB(in directory: String) throws -> String {
        let cib = directory + "/cib-\(UUID().uuidString).xml"
        let empty = try run("/usr/sbin/cibadmin", ["--empty"])
        #expect(empty.status == 0, "\(empty)")
        try empty.stdout.write(toFile: cib, atomically: true, encoding: .utf8)
        var edits = [["-M", "-X", #"<cib have-quorum="1"/>"#]]
        for node in 1...3 {
            edits.append(["-C", "-o", "nodes", "-X", #"<node id="\#(node)" uname="node\#(node)"/>"#])
            edits.append([
                "-C", "-o", "status", "-X",
                #"<node_state id="\#(node)" uname="node\#(node)" in_ccm="true" crmd="online" join="member" expected="member"/>"#,
            ])
        }
        for edit in edits {
            let result = try run(
                "/usr/sbin/cibadmin", edit, environment: ["CIB_file": cib, "PATH": "/usr/sbin:/usr/bin:/bin"])
            #expect(result.status == 0, "\(edit): \(result)")
        }
        return cib
    }

    /// Runs `script` with every `pcs` editing `cib`.
    static func runPcs(_ script: String, on cib: String) throws -> ProcessResult {
        let text = "set -eu\npcs() { \(pcs) -f '\(cib)' \"$@\"; }\n\(script)\n"
        return try run("/bin/sh", ["-c", text], timeout: 120)
    }

    static func verify(_ cib: String) throws -> ProcessResult {
        try run("/usr/sbin/crm_verify", ["--xml-file", cib, "-V"])
    }

    @Test(.enabled(if: Privileges.isRoot, "the agent is linked into /usr/sbin"))
    func theGuidesPcsCommandsBuildACIBThatCrmVerifyAccepts() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.pcs), "Debian's pcs is not installed")
        let guide = try String(contentsOfFile: Build.repository + "/Documentation/operators-guide.md", encoding: .utf8)
        let blocks = Self.pcsBlocks(inMarkdown: guide)
        #expect(blocks.map(\.heading) == ["Pacemaker setup (three nodes)", "Migrating from fence_kdump"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.installAgent()
        defer { Self.removeAgent() }
        // The setup, on an empty cluster.
        let setup = try Self.makeCIB(in: directory.path)
        let created = try Self.runPcs(blocks[0].script, on: setup)
        #expect(created.status == 0, "\(created)")
        let verified = try Self.verify(setup)
        #expect(verified.status == 0, "\(verified)")
        let levels = try Self.runPcs("pcs stonith level config", on: setup).stdout
        for node in 1...3 {
            #expect(
                levels.contains("Target: node\(node)\n  Level 1 - kdump\n  Level 2 - ipmi-node\(node)"),
                "\(levels)")
        }
        let device = try Self.runPcs("pcs stonith config kdump", on: setup).stdout
        #expect(device.contains("pcmk_host_map=node1:node1;node2:node2;node3:node3"), "\(device)")

        // The migration, on a cluster with upstream fence_kdump at level 1.
        let migrating = try Self.makeCIB(in: directory.path)
        let before = try Self.runPcs(
            """
            pcs stonith create kdump-old fence_kdump pcmk_host_list="node1 node2 node3" pcmk_monitor_action=metadata
            for node in node1 node2 node3; do pcs stonith level add 1 "$node" kdump-old; done
            """, on: migrating)
        #expect(before.status == 0, "\(before)")
        let migrated = try Self.runPcs(blocks[1].script, on: migrating)
        #expect(migrated.status == 0, "\(migrated)")
        #expect(try Self.verify(migrating).status == 0)
        let after = try Self.runPcs("pcs stonith config; pcs stonith level config", on: migrating).stdout
        #expect(!after.contains("kdump-old"), "\(after)")
        #expect(after.contains("Level 1 - kdump"))

        // fence_kdump_watch(8)'s example.
        let page = try String(
            contentsOfFile: Build.repository + "/Documentation/man/fence_kdump_watch.8", encoding: .utf8)
        let example = try #require(
            page.components(separatedBy: ".SH EXAMPLE\n.nf\n").last?.components(separatedBy: "\n.fi").first)
        let manCIB = try Self.makeCIB(in: directory.path)
        let fromPage = try Self.runPcs(
            example.replacingOccurrences(of: "\\e", with: "\\").replacingOccurrences(of: "\\-", with: "-"),
            on: manCIB)
        #expect(fromPage.status == 0, "\(example): \(fromPage)")
        #expect(try Self.verify(manCIB).status == 0)
    }

    /// `pcs stonith describe` shows every parameter of the metadata but the two that pcs hides
    /// for every agent (upstream fence_kdump's too).
    @Test(.enabled(if: Privileges.isRoot, "the agent is linked into /usr/sbin"))
    func pcsDescribeShowsEveryParameter() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.pcs), "Debian's pcs is not installed")
        func hidden(_ agent: String, metadata: String) throws -> [String] {
            let names = metadata.components(separatedBy: "<parameter name=\"").dropFirst()
                .compactMap { $0.split(separator: "\"").first.map(String.init) }
            let described = try run(Self.pcs, ["stonith", "describe", agent])
            #expect(described.status == 0, "\(described)")
            return names.filter { !described.stdout.contains("\n  \($0): ") }
        }
        try Self.installAgent()
        defer { Self.removeAgent() }
        let ours = try run(Build.path("fence_kdump_watch"), ["-o", "metadata"]).stdout
        #expect(ours.contains("<parameter name=\"fallback\""))
        #expect(try hidden("fence_kdump_watch", metadata: ours) == ["action", "version"])
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/fence_kdump"),
            "Debian's fence-agents is not installed")
        let upstream = try run("/usr/sbin/fence_kdump", ["-o", "metadata"]).stdout
        #expect(try hidden("fence_kdump", metadata: upstream) == ["action", "version"])
        let described = try run(Self.pcs, ["stonith", "describe", "fence_kdump_watch"]).stdout
        #expect(described.contains("backed by kdump-watchd"))
    }
}
