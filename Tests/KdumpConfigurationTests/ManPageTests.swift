import Foundation
import KdumpConfiguration
import Testing

/// kdump-watchd.conf(5) against the table of keys: the same keys in the same order, each with
/// the default the code has, and the same keys that only a restart applies.
@Suite struct ManPageTests {
    static let page: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = repository.appendingPathComponent("Documentation/man/kdump-watchd.conf.5").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    /// The `.TP` / `.B key` entries of the KEYS section, with their text.
    static var entries: [(key: String, text: String)] {
        guard let keys = page.range(of: ".SH KEYS\n") else { return [] }
        let section = page[keys.upperBound...].prefix { _ in true }
        let body = section.components(separatedBy: "\n.SH ").first ?? ""
        return body.components(separatedBy: ".TP\n").dropFirst().map { entry in
            let lines = entry.split(separator: "\n", omittingEmptySubsequences: false)
            let key = lines.first.map { String($0.dropFirst(".B ".count)) } ?? ""
            return (key, lines.dropFirst().joined(separator: "\n"))
        }
    }

    @Test func listsEveryKeyOfTheTableInOrder() {
        #expect(Self.entries.map(\.key) == ConfigurationKey.all.map(\.name))
    }

    @Test func givesEachKeyTheDefaultOfTheCode() {
        for (name, text) in Self.entries {
            guard let key = ConfigurationKey.named(name) else { continue }
            #expect(text.contains("Default: \(key.defaultText)."), "\(name): the code's default is \(key.defaultText)")
        }
    }

    @Test func namesTheKeysThatOnlyARestartApplies() {
        let names = ConfigurationKey.restartOnly.map(\.name).joined(separator: ", ")
        let sentence = "SIGHUP re-reads the file; \(names) take effect only after a restart."
        #expect(Self.page.replacingOccurrences(of: "\n", with: " ").contains(sentence))
    }

    /// The operator's guide's table of keys (Documentation/operators-guide.md, "Configuration"):
    /// the same keys as the code, in the same order.
    @Test func theOperatorsGuideListsEveryKeyInOrder() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let guide = try String(
            contentsOfFile: repository.appendingPathComponent("Documentation/operators-guide.md").path, encoding: .utf8)
        let section = try #require(guide.components(separatedBy: "## Configuration:").dropFirst().first)
        let table = section.components(separatedBy: "\n\n").first { $0.contains("| key | default | meaning |") } ?? ""
        let keys = table.split(separator: "\n").dropFirst(2).compactMap { row -> String? in
            let cell = row.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? ""
            return cell.hasPrefix("`") ? String(cell.dropFirst().dropLast()) : nil
        }
        #expect(keys == ConfigurationKey.all.map(\.name))
    }
}
