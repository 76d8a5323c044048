import FuzzSupport
import KdumpFenceAgent

/// What Pacemaker writes on the agent's stdin: any text either parses or fails with one line.
/// The first line of the input is also tried as a command line, split at spaces.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgentInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    do {
        _ = try AgentInputParser.parse(stdin: text)
    } catch {
        Fuzz.requireOneLine(error)
    }
    let arguments = (text.split(separator: "\n").first ?? "").split(separator: " ").map(String.init)
    do {
        _ = try AgentInputParser.parse(arguments: arguments)
    } catch {
        Fuzz.requireOneLine(error)
    }
    return 0
}
