import KdumpWire
import Testing

@Suite struct MessageTextTests {
    @Test func plainTextIsUnchanged() {
        #expect(
            "cannot resolve 'node2': Name or service not known".oneLineMessage
                == "cannot resolve 'node2': Name or service not known")
        #expect("nœud-é 'ü'".oneLineMessage == "nœud-é 'ü'")
    }

    @Test func lineBreaksAndTerminalControlsAreEscaped() {
        #expect("a\rb\nc\td".oneLineMessage == #"a\rb\nc\td"#)
        #expect("\u{1B}[31mred".oneLineMessage == #"\u{1B}[31mred"#)
        #expect("x\u{85}y\u{2028}z".oneLineMessage == #"x\u{0085}y\u{2028}z"#)
        #expect("\0".oneLineMessage == #"\0"#)
    }

    /// The escaped set is spelled out as ranges (no property table in the embedded sender); it
    /// must be exactly Unicode's control characters and line and paragraph separators.
    @Test func theEscapedScalarsAreUnicodesControlsAndSeparators() {
        for value in UInt32(0)...0x10_FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let category = scalar.properties.generalCategory
            let expected = category == .control || category == .lineSeparator || category == .paragraphSeparator
            let text = String(scalar)
            #expect((text.oneLineMessage != text) == expected, "U+\(String(value, radix: 16))")
        }
    }

    /// Written by hand over UTF-8 bytes (for the embedded sender), the escapes must be the
    /// standard library's, and text beyond ASCII must pass through whole.
    @Test func theEscapesAreTheStandardLibrarysAndOtherScalarsPassWhole() {
        for value in Array(0...0x1F) + Array(0x7F...0x9F) + [0x2028, 0x2029] {
            let scalar = Unicode.Scalar(UInt32(value))!
            #expect(String(scalar).oneLineMessage == scalar.escaped(asASCII: true), "U+\(String(value, radix: 16))")
        }
        #expect("é\u{7F}ü\u{2029}🦀\u{9F}\u{A0}\u{2027}".oneLineMessage == #"é\u{7F}ü\u{2029}🦀\u{009F}\#u{A0}\#u{2027}"#)
    }

    @Test func longTextIsCut() {
        let message = String(repeating: "x", count: 5000).oneLineMessage
        #expect(message.unicodeScalars.count == String.oneLineMessageLimit)
        #expect(message.hasSuffix("…"))
        #expect(String(repeating: "\n", count: 5000).oneLineMessage.unicodeScalars.count <= String.oneLineMessageLimit)
        let crabs = String(repeating: "🦀", count: 5000).oneLineMessage
        #expect(crabs.unicodeScalars.count == String.oneLineMessageLimit)
        #expect(crabs == String(repeating: "🦀", count: String.oneLineMessageLimit - 1) + "…")
    }
}
