import KdumpCommandLine
import KdumpWire

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...lastIndex(where: { !isSpace($0) })!])
    }
}
