extension UInt8 {
    /// The length of the UTF-8 sequence this byte begins (1 to 4), for text that is valid UTF-8,
    /// as a `String`'s bytes always are: the command-line parser and `oneLineMessage` step
    /// through whole scalars on bytes, which keeps the standard library's scalar views out of
    /// the embedded sender.
    public var utf8SequenceLength: Int { self < 0x80 ? 1 : self < 0xE0 ? 2 : self < 0xF0 ? 3 : 4 }
}
