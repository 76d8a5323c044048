extension String {
    /// The longest message ``oneLineMessage`` keeps, in Unicode scalars.
    public static let oneLineMessageLimit = 1000

    /// This text made safe to write as one line of a log, a journal entry or a terminal, for the
    /// error messages that quote untrusted input (configuration lines, control requests, the
    /// fence agent's stdin, command lines).
    ///
    /// Control characters and line or paragraph separators, which could break the line or drive
    /// a terminal, are written as Swift escapes (`\r`, `\n`, `\u{1B}`, `\u{0085}`), as
    /// `Unicode.Scalar.escaped(asASCII: true)` writes them; the result is cut at
    /// ``oneLineMessageLimit`` scalars, ending in `…`.
    public var oneLineMessage: String {
        // Worked on as UTF-8 bytes (a String's are always valid), so that the embedded sender,
        // which quotes its command line with this, links neither scalar views nor the standard
        // library's escaping.
        var text = self
        return text.withUTF8 { bytes in
            var result: [UInt8] = []
            var kept = 0  // result's scalars
            var start = 0
            while start < bytes.count {
                let end = Swift.min(start + bytes[start].utf8SequenceLength, bytes.count)
                let escape = Self.escape(bytes, from: start, length: end - start)
                let pieceScalars = escape.isEmpty ? 1 : escape.count
                if kept + pieceScalars >= Self.oneLineMessageLimit {
                    result += [0xE2, 0x80, 0xA6]  // …
                    break
                }
                if escape.isEmpty {
                    for index in start..<end { result.append(bytes[index]) }
                } else {
                    result += escape
                }
                kept += pieceScalars
                start = end
            }
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// The escape of the scalar at `bytes[start..<start + length]`, as ASCII bytes, when it is
    /// one of Unicode's control characters (general category Cc, fixed for good: C0, DEL and
    /// C1) or its line or paragraph separator (Zl, Zp); empty for any other scalar. Spelled out
    /// rather than looked up, so that no Unicode property table is linked.
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, length: Int) -> [UInt8] {
        let value: UInt32
        switch length {
        case 1 where bytes[start] <= 0x1F || bytes[start] == 0x7F:
            value = UInt32(bytes[start])
        case 2 where bytes[start] == 0xC2 && bytes[start + 1] <= 0x9F:
            value = UInt32(bytes[start + 1])
        case 3 where bytes[start] == 0xE2 && bytes[start + 1] == 0x80 && (bytes[start + 2] & 0xFE) == 0xA8:
            value = bytes[start + 2] == 0xA8 ? 0x2028 : 0x2029
        default:
            return []
        }
        switch value {
        case 0: return Array("\\0".utf8)
        case 9: return Array("\\t".utf8)
        case 10: return Array("\\n".utf8)
        case 13: return Array("\\r".utf8)
        default: return hexEscape(value, digits: value < 0x80 ? 2 : 4)
        }
    }

    /// `\u{…}` with `digits` uppercase hexadecimal digits.
    private static func hexEscape(_ value: UInt32, digits: Int) -> [UInt8] {
        var escape: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "{")]
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            let nibble = UInt8((value >> UInt32(shift)) & 0xF)
            escape.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10)
        }
        escape.append(UInt8(ascii: "}"))
        return escape
    }
}
