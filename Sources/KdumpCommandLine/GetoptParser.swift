#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpWire
#endif

/// Splits a command line the way glibc's `getopt_long` does, so the fence-agents tools
/// accept exactly the forms their upstream counterparts accept: `-n node`, `-nnode`,
/// `--nodename=node`, `--nodename node`, bundled flags (`-vv`), operands anywhere, and `--`
/// ending the options.
///
/// Written here because swift-argument-parser does not accept attached short values
/// (`-p7410`), exits with its own status codes, and pulls Foundation into the capture-kernel
/// sender, which must link nothing but the standard library and glibc.
public enum GetoptParser {
    public static func tokenize(_ arguments: [String], options: [GetoptOption]) throws(GetoptError) -> [GetoptToken] {
        // Worked on as UTF-8 bytes, never as Characters or with `==` (which would link Unicode's
        // normalisation and grapheme tables into the embedded sender), nor as slices of String
        // views, whose code the embedded sender would carry once per use. The options' spellings
        // are ASCII, so a byte that is not one is never an option letter.
        let dash = UInt8(ascii: "-")
        var tokens: [GetoptToken] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let bytes = Array(argument.utf8)
            index += 1
            if bytes.count == 2, bytes[0] == dash, bytes[1] == dash {
                tokens += arguments[index...].map { .operand($0) }
                break
            }
            if bytes.count > 2, bytes[0] == dash, bytes[1] == dash {
                let equals = bytes[2...].firstIndex(of: UInt8(ascii: "="))
                let name = text(bytes[2..<(equals ?? bytes.endIndex)])
                guard let option = options.first(where: { $0.long.hasSameUTF8(as: name) }) else {
                    throw GetoptError("unrecognized option '--\(name)'")
                }
                var value: String?
                if let equals {
                    guard option.takesValue else { throw GetoptError("option '--\(name)' doesn't allow an argument") }
                    value = text(bytes[(equals + 1)...])
                } else if option.takesValue {
                    guard index < arguments.count else { throw GetoptError("option '--\(name)' requires an argument") }
                    value = arguments[index]
                    index += 1
                }
                tokens.append(.option(option.long, value: value, spelled: "--\(name)"))
            } else if bytes.count > 1, bytes[0] == dash {
                var position = 1
                while position < bytes.count {
                    let byte = bytes[position]
                    position += 1
                    guard let option = options.first(where: { $0.short?.value == UInt32(byte) }) else {
                        // The whole letter, for the message: the scalar this byte begins.
                        let letter = text(bytes[(position - 1)...]).unicodeScalars.first.map { "\($0)" } ?? ""
                        throw GetoptError("invalid option -- '\(letter)'")
                    }
                    let letter = text(bytes[(position - 1)..<position])
                    var value: String?
                    if option.takesValue {
                        if position < bytes.count {
                            value = text(bytes[position...])
                            position = bytes.count
                        } else {
                            guard index < arguments.count else {
                                throw GetoptError("option requires an argument -- '\(letter)'")
                            }
                            value = arguments[index]
                            index += 1
                        }
                    }
                    tokens.append(.option(option.long, value: value, spelled: "-\(letter)"))
                }
            } else {
                tokens.append(.operand(argument))
            }
        }
        return tokens
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
