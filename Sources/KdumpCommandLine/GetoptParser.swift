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
        tokens.reserveCapacity(arguments.count)
        // One buffer for every argument's bytes: a start of the capture-kernel sender parses
        // its whole command line before its first datagram, and each copy would be an allocation.
        var bytes: [UInt8] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: argument.utf8)
            index += 1
            if bytes.count == 2, bytes[0] == dash, bytes[1] == dash {
                while index < arguments.count {
                    tokens.append(.operand(arguments[index]))
                    index += 1
                }
            } else if bytes.count > 2, bytes[0] == dash, bytes[1] == dash {
                let equals = bytes[2...].firstIndex(of: UInt8(ascii: "="))
                let spelled = text(bytes[0..<(equals ?? bytes.endIndex)])
                let name = bytes[2..<(equals ?? bytes.endIndex)]
                guard let option = options.first(where: { $0.long.hasUTF8(name) }) else {
                    throw GetoptError("unrecognized option '\(spelled)'")
                }
                var given: String?
                if let equals {
                    guard option.takesValue else { throw GetoptError("option '\(spelled)' doesn't allow an argument") }
                    given = text(bytes[(equals + 1)...])
                } else if option.takesValue {
                    guard index < arguments.count else { throw GetoptError("option '\(spelled)' requires an argument") }
                    given = arguments[index]
                    index += 1
                }
                tokens.append(.option(option.long, value: given, spelled: spelled))
            } else if bytes.count > 1, bytes[0] == dash {
                var position = 1
                while position < bytes.count {
                    // The letter is the whole scalar that starts here (a String's UTF-8 is valid).
                    let lead = bytes[position]
                    let end = min(position + lead.utf8SequenceLength, bytes.count)
                    let letter = text(bytes[position..<end])
                    guard let option = options.first(where: { $0.short?.value == UInt32(lead) }) else {
                        throw GetoptError("invalid option -- '\(letter)'")
                    }
                    position = end
                    var given: String?
                    if option.takesValue {
                        if position < bytes.count {
                            given = text(bytes[position...])
                            position = bytes.count
                        } else {
                            guard index < arguments.count else {
                                throw GetoptError("option requires an argument -- '\(letter)'")
                            }
                            given = arguments[index]
                            index += 1
                        }
                    }
                    tokens.append(.option(option.long, value: given, spelled: "-" + letter))
                }
            } else {
                tokens.append(.operand(argument))
            }
        }
        return tokens
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
