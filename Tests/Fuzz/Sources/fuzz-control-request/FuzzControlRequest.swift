import FuzzSupport
import KdumpControl

/// The control socket's input path: the line framer, fed the same bytes in one piece and in
/// pieces whose sizes the input chooses, must cut the same lines; every line's request either
/// parses or fails with a one-line error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControlRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    guard let first = input.first else { return 0 }
    let stream = Array(input.dropFirst())
    let limit = 64 + Int(first) * 16

    var whole = LineFramer(maximumLineLength: limit)
    let wholeFrames = whole.append(stream)

    var pieces = LineFramer(maximumLineLength: limit)
    var pieceFrames: [LineFramer.Frame] = []
    var offset = 0
    var piece = 1 + Int(first % 7)
    while offset < stream.count, pieceFrames.last != .tooLong {
        let end = min(stream.count, offset + piece)
        pieceFrames += pieces.append(stream[offset..<end])
        offset = end
        piece = piece * 3 % 13 + 1
    }
    // After tooLong the connection is closed: compare what came before it.
    func untilTooLong(_ frames: [LineFramer.Frame]) -> [LineFramer.Frame] {
        guard let index = frames.firstIndex(of: .tooLong) else { return frames }
        return Array(frames[...index])
    }
    Fuzz.require(
        untilTooLong(wholeFrames) == untilTooLong(pieceFrames), "framing depends on how the bytes arrive")

    for frame in wholeFrames {
        guard case .line(let line) = frame else { continue }
        Fuzz.require(line.count <= limit, "a line longer than the limit passed")
        Fuzz.require(!line.contains(0x0A), "a line contains a newline")
        do {
            _ = try ControlRequest.parse(line)
        } catch {
            Fuzz.requireOneLine(error)
        }
    }
    return 0
}
