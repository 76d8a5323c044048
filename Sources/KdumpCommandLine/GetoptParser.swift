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
        // Compared as scalars and UTF-8 bytes, never as Characters or with `==` (which would link
        // Unicode's normalisation and grapheme tables into the embedded sender); for the ASCII
        // spellings of options the answers are the same.
        let dash = Unicode.Scalar(UInt8(ascii: "-"))
        var tokens: [GetoptToken] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let scalars = argument.unicodeScalars
            index += 1
            if argument.hasSameUTF8(as: "--") {
                tokens += arguments[index...].map { .operand($0) }
                break
            }
            if scalars.starts(with: [dash, dash]) {
                let body = scalars.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = String(String.UnicodeScalarView(body[..<(equals ?? body.endIndex)]))
                guard let option = options.first(where: { $0.long.hasSameUTF8(as: name) }) else {
                    throw GetoptError("unrecognized option '--\(name)'")
                }
                var value: String?
                if let equals {
                    guard option.takesValue else { throw GetoptError("option '--\(name)' doesn't allow an argument") }
                    value = String(String.UnicodeScalarView(body[body.index(after: equals)...]))
                } else if option.takesValue {
                    guard index < arguments.count else { throw GetoptError("option '--\(name)' requires an argument") }
                    value = arguments[index]
                    index += 1
                }
                tokens.append(.option(option.long, value: value, spelled: "--\(name)"))
            } else if scalars.first == dash, scalars.count > 1 {
                var rest = scalars.dropFirst()
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let option = options.first(where: { $0.short == letter }) else {
                        throw GetoptError("invalid option -- '\(letter)'")
                    }
                    var value: String?
                    if option.takesValue {
                        if !rest.isEmpty {
                            value = String(String.UnicodeScalarView(rest))
                            rest = rest[rest.endIndex...]
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
}
