import KdumpWire

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
        var tokens: [GetoptToken] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                tokens += arguments[index...].map { .operand($0) }
                break
            }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                guard let option = options.first(where: { $0.long == name }) else {
                    throw GetoptError("unrecognized option '--\(name)'")
                }
                var value: String?
                if let equals = body.firstIndex(of: "=") {
                    guard option.takesValue else { throw GetoptError("option '--\(name)' doesn't allow an argument") }
                    value = String(body[body.index(after: equals)...])
                } else if option.takesValue {
                    guard index < arguments.count else { throw GetoptError("option '--\(name)' requires an argument") }
                    value = arguments[index]
                    index += 1
                }
                tokens.append(.option(option.long, value: value, spelled: "--\(name)"))
            } else if argument.hasPrefix("-"), argument.count > 1 {
                var rest = Substring(argument.dropFirst())
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let option = options.first(where: { $0.short == letter }) else {
                        throw GetoptError("invalid option -- '\(letter)'")
                    }
                    var value: String?
                    if option.takesValue {
                        if !rest.isEmpty {
                            value = String(rest)
                            rest = ""
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
