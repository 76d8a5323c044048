import KdumpDecision
import KdumpWire
import Logging

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    package func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
