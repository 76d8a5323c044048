/// What every fuzz target shares: the input as bytes, and invariant checks that crash (so that
/// libFuzzer records the input) instead of returning quietly.
public enum Fuzz {
    /// The fuzzer's input as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops with `message` unless `condition` holds.
    public static func require(
        _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
    ) {
        if !condition { fatalError("invariant broken: \(message())", file: file, line: line) }
    }

    /// Errors are written to logs and terminals as one line each (the project's rule for bad
    /// input): no line breaks, and never empty.
    public static func requireOneLine(
        _ error: some CustomStringConvertible, file: StaticString = #fileID, line: UInt = #line
    ) {
        let text = error.description
        require(!text.isEmpty, "empty error message", file: file, line: line)
        require(
            !text.contains(where: { $0 == "\n" || $0 == "\r" }), "error message spans lines: \(text.debugDescription)",
            file: file, line: line)
    }
}
