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

    @Test func longTextIsCut() {
        let message = String(repeating: "x", count: 5000).oneLineMessage
        #expect(message.unicodeScalars.count == String.oneLineMessageLimit)
        #expect(message.hasSuffix("…"))
        #expect(String(repeating: "\n", count: 5000).oneLineMessage.unicodeScalars.count <= String.oneLineMessageLimit)
    }
}
