extension StringProtocol {
    /// Whether the two texts are the same UTF-8 bytes. For the protocol's ASCII words (option
    /// names, phases, families) this is what `==` answers; unlike `==`, it needs no Unicode
    /// normalisation, whose tables would make up most of the embedded sender
    /// (Documentation/architecture.md, "The embedded sender").
    ///
    /// Native strings are compared as the byte buffers they are: `elementsEqual` over two UTF-8
    /// views steps each through String's index machinery, which made an eighth of the
    /// instructions the embedded sender's own code ran before its first signed datagram
    /// (Documentation/performance.md, row 9).
    @inlinable
    public func hasSameUTF8(as other: some StringProtocol) -> Bool {
        let contiguous = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == theirs.count && mine.elementsEqual(theirs)
            }
        }
        return (contiguous ?? nil) ?? utf8.elementsEqual(other.utf8)
    }

    /// Whether the text's UTF-8 is `bytes`, compared as `hasSameUTF8(as:)` compares.
    @inlinable
    public func hasUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        let contiguous = utf8.withContiguousStorageIfAvailable { mine in
            bytes.withUnsafeBufferPointer { mine.count == $0.count && mine.elementsEqual($0) }
        }
        return contiguous ?? utf8.elementsEqual(bytes)
    }
}
