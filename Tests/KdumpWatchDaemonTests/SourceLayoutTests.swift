import Foundation
import Testing

/// The modules stay as a newcomer finds them (Documentation/architecture.md): every type in a
/// file of its name, with its own extensions; extensions of other types in
/// `Type+Concern.swift`; the daemon's files in a folder per concern. (Private helper types may
/// stay beside the one type that uses them; `main.swift` is an executable's entry point.)
@Suite struct SourceLayoutTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let declaration = try! NSRegularExpression(
        pattern:
            #"^(public |package |internal )?(final )?(struct|class|enum|actor|protocol|extension) ([A-Za-z0-9_.]+)"#,
        options: .anchorsMatchLines)

    /// Every `.swift` file under `Sources/MODULE`, as paths relative to it.
    static func files(of module: String) throws -> [String] {
        let root = repository.appendingPathComponent("Sources/\(module)").path
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    /// Every Swift library module of the package.
    static let modules: [String] = {
        let sources = repository.appendingPathComponent("Sources").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: sources)) ?? []).filter { $0.hasPrefix("Kdump") }
            .sorted()
    }()

    @Test(arguments: modules)
    func everyTypeIsInAFileOfItsName(module: String) throws {
        let files = try Self.files(of: module)
        #expect(!files.isEmpty)
        for file in files where !file.hasSuffix("main.swift") {
            let text = try String(
                contentsOfFile: Self.repository.appendingPathComponent("Sources/\(module)/\(file)").path,
                encoding: .utf8)
            let name = String(file.split(separator: "/").last!.dropLast(".swift".count))
            let owner = String(name.split(separator: "+").first!)
            let matches = Self.declaration.matches(in: text, range: NSRange(text.startIndex..., in: text))
            for match in matches {
                let kind = String(text[Range(match.range(at: 3), in: text)!])
                let declared = String(text[Range(match.range(at: 4), in: text)!])
                let extended = String(declared.split(separator: ".").first ?? "")
                if name.contains("+") {
                    #expect(
                        kind == "extension" && (declared == owner || extended == owner),
                        "\(module)/\(file) declares \(kind) \(declared)")
                } else {
                    #expect(
                        declared == name || (kind == "extension" && extended == name),
                        "\(module)/\(file) declares \(kind) \(declared) (private helpers may stay)")
                }
            }
        }
        if module == "KdumpWatchDaemon" {
            #expect(files.allSatisfy { $0.contains("/") }, "every file in a folder of its concern")
        }
    }
}
