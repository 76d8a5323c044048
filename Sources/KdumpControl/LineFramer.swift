/// Splits a byte stream into newline-delimited lines, with a bound on line length.
///
/// NDJSON framing for both ends of the control socket. Written here because the only
/// packaged line decoder (`LineBasedFrameDecoder`) lives in swift-nio-extras, a heavy
/// dependency, and has no length limit; the client does not use NIO at all.
public struct LineFramer: Sendable {
    /// Longest accepted line, newline excluded.
    public let maximumLineLength: Int
    private var buffer: [UInt8] = []
    private var scanned = 0

    public init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    public enum Frame: Equatable, Sendable {
        case line([UInt8])
        /// More than ``maximumLineLength`` bytes arrived without a newline; the stream can no
        /// longer be framed and should be closed.
        case tooLong
    }

    /// Bytes received but not yet part of a complete line.
    public var pendingByteCount: Int { buffer.count }

    /// Adds received bytes and returns every line they complete (a trailing `\r` is dropped).
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames: [Frame] = []
        var start = 0
        var index = scanned
        while index < buffer.count {
            if buffer[index] == 0x0A {
                var end = index
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                if end - start > maximumLineLength { return frames + [.tooLong] }
                frames.append(.line(Array(buffer[start..<end])))
                start = index + 1
            }
            index += 1
        }
        buffer.removeFirst(start)
        scanned = buffer.count
        // A pending line may end in the `\r` of a CRLF whose `\n` is still on its way.
        let pendingLimit = buffer.last == 0x0D ? maximumLineLength + 1 : maximumLineLength
        if buffer.count > pendingLimit { frames.append(.tooLong) }
        return frames
    }
}
