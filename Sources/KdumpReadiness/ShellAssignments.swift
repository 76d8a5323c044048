/// The `NAME="value"` lines of a shell settings file that the integration writes or the
/// operator edits (kdump-watch-send.conf): read, never run. The last assignment wins, as in
/// the shell; quotes around the value are removed.
struct ShellAssignments {
    private var values: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let name = String(trimmed[..<equals])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            var value = Substring(trimmed[trimmed.index(after: equals)...])
            if let hash = value.firstIndex(of: "#"), value.first != "\"" { value = value[..<hash] }
            value = value.drop { $0 == " " }
            while value.last == " " { value = value.dropLast() }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            values[name] = String(value)
        }
    }

    subscript(_ name: String) -> String? { values[name] }
}
