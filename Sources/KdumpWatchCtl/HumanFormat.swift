/// Text helpers for the human-readable output of `kdump-watchctl`.
public enum HumanFormat {
    /// An age as people read it: `3s ago`, `4m12s ago`, `2h03m ago`, `3d04h ago`.
    public static func age(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "unknown" }
        let whole = Int(seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch whole {
        case ..<60: return "\(whole)s ago"
        case ..<3600: return "\(whole / 60)m\(two(whole % 60))s ago"
        case ..<86_400: return "\(whole / 3600)h\(two(whole / 60 % 60))m ago"
        default: return "\(whole / 86_400)d\(two(whole / 3600 % 24))h ago"
        }
    }

    /// Rows padded into aligned columns separated by two spaces; the last column is not padded.
    public static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
