import KdumpControl
import KdumpWire
import Testing

@Suite struct LineFramerTests {
    @Test func splitsLinesAcrossChunks() {
        var framer = LineFramer(maximumLineLength: 100)
        #expect(framer.append(Array("ab".utf8)).isEmpty)
        #expect(
            framer.append(Array("c\nde\r\n\nf".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8)), .line([])])
        #expect(framer.pendingByteCount == 1)
        #expect(framer.append(Array("\n".utf8)) == [.line(Array("f".utf8))])
    }

    @Test func reportsOverlongLinesWithOrWithoutANewline() {
        var framer = LineFramer(maximumLineLength: 4)
        #expect(framer.append(Array("abcd\n".utf8)) == [.line(Array("abcd".utf8))])
        #expect(framer.append(Array("abcde".utf8)) == [.tooLong])
        var other = LineFramer(maximumLineLength: 4)
        #expect(other.append(Array("ok\nabcdef\n".utf8)) == [.line(Array("ok".utf8)), .tooLong])
    }

    /// Found by fuzz-control-request: a line of the maximum length ending in CRLF was refused
    /// when the `\r` and the `\n` arrived in different reads.
    @Test func aFullLengthLineWhoseCRLFIsSplitIsAccepted() {
        var framer = LineFramer(maximumLineLength: 4)
        #expect(framer.append(Array("abcd\r".utf8)).isEmpty)
        #expect(framer.append(Array("\n".utf8)) == [.line(Array("abcd".utf8))])
        #expect(framer.append(Array("abcd\rx".utf8)) == [.tooLong])
    }
}
