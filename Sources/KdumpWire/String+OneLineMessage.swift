extension String {
    /// The longest message ``oneLineMessage`` keeps, in Unicode scalars.
    public static let oneLineMessageLimit = 1000

    /// This text made safe to write as one line of a log, a journal entry or a terminal, for the
    /// error messages that quote untrusted input (configuration lines, control requests, the
    /// fence agent's stdin, command lines).
    ///
    /// Control characters and line or paragraph separators, which could break the line or drive
    /// a terminal, are written as Swift escapes (`\r`, `\n`, `\u{1B}`); the result is cut at
    /// ``oneLineMessageLimit`` scalars, ending in `…`.
    public var oneLineMessage: String {
        var result = String.UnicodeScalarView()
        var kept = 0  // result's scalars, counted here: counting the view walks it each time
        for scalar in unicodeScalars {
            // Unicode's control characters (general category Cc, fixed for good: C0, DEL and C1),
            // and its one line separator and one paragraph separator (Zl, Zp): spelled out
            // rather than looked up, so that no Unicode property table is linked (the embedded
            // sender quotes its command line with this).
            let escape: Bool
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: escape = true
            default: escape = false
            }
            let piece = escape ? Array(scalar.escaped(asASCII: true).unicodeScalars) : [scalar]
            if kept + piece.count >= Self.oneLineMessageLimit {
                result.append("…")
                break
            }
            result.append(contentsOf: piece)
            kept += piece.count
        }
        return String(result)
    }
}
