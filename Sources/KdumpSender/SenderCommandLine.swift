#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpCommandLine
    import KdumpWire
#endif

/// The command line of `fence_kdump_send`, which `kdump-watch-send` accepts unchanged.
public enum SenderCommandLine {
    public static func parse(_ arguments: [String]) throws(SenderUsageError) -> SenderCommand {
        let tokens: [GetoptToken]
        do {
            tokens = try GetoptParser.tokenize(arguments, options: SenderFlag.options)
        } catch {
            throw SenderUsageError(error.message)
        }
        var result = SenderOptions()
        for token in tokens {
            let value: String?
            let flag: SenderFlag
            switch token {
            case .operand(let node):
                guard !node.isEmpty else { throw SenderUsageError("empty node name") }
                result.nodes.append(node)
                continue
            case .option(let name, let given, let spelled):
                guard let known = SenderFlag(long: name) else {
                    throw SenderUsageError("unhandled option \(spelled) (\(name))")
                }
                flag = known
                value = given
            }
            switch flag {
            case .help: return .help
            case .version: return .version
            case .verbose: result.verbose += 1
            case .ipport: result.port = try number(value, in: 1...65_535, "invalid ipport")
            case .family:
                guard let family = AddressFamily(name: value ?? "") else { throw invalid("unsupported family", value) }
                result.family = family
            case .count: result.count = try number(value, in: 0...Int.max, "invalid count")
            case .interval: result.interval = try number(value, in: 1...86_400, "invalid interval")
            case .key:
                guard let path = value, !path.isEmpty else { throw SenderUsageError("empty key file name") }
                result.keyFile = path
            case .keyID:
                guard let text = value, text.utf8.count == 2, let id = UInt8(text, radix: 16) else {
                    throw invalid("invalid key id", value, " (two hexadecimal digits)")
                }
                result.keyID = id
            case .nodeName:
                guard let name = value, SignedMessage.isValidNodeName(name) else {
                    throw invalid("invalid node name", value, " (1 to 64 of A-Z a-z 0-9 . _ -)")
                }
                result.nodeName = name
            case .phase:
                guard let phase = SignedMessage.Phase(name: value ?? "") else {
                    throw invalid("invalid phase", value, " (started, dumping, finished, failed)")
                }
                result.phase = phase
            case .broadcast: result.broadcast = true
            case .alsoV1: result.alsoV1 = true
            }
        }
        if result.keyFile == nil {
            // The options that apply to signed messages only.
            let signedOnly = [
                ("--node-name", result.nodeName != nil), ("--phase", result.phase != nil), ("--also-v1", result.alsoV1),
                ("--key-id", result.keyID != nil),
            ]
            if let (option, _) = signedOnly.first(where: { $0.1 }) {
                throw SenderUsageError(option + " needs --key (it applies to signed messages)")
            }
        }
        guard !result.nodes.isEmpty || result.broadcast else { throw SenderUsageError("no node to send to") }
        return .send(result)
    }

    /// The decimal number `value` when it lies in `range`; otherwise a usage error, `what`
    /// quoting the value.
    private static func number(_ value: String?, in range: ClosedRange<Int>, _ what: String) throws(SenderUsageError)
        -> Int
    {
        guard let number = Int(value ?? ""), range.contains(number) else { throw invalid(what, value) }
        return number
    }

    /// The usage error "WHAT 'VALUE'HINT", built in one place: each message written out in full
    /// would cost the embedded sender its own copy of the code that builds text.
    private static func invalid(_ what: String, _ value: String?, _ hint: String = "") -> SenderUsageError {
        SenderUsageError(what + " '" + (value ?? "") + "'" + hint)
    }

    public static func usage(name: String) -> String {
        """
        Usage: \(name) [options] [nodes]

        Options:

          -p, --ipport=PORT            Port number (default: \(KdumpDatagram.defaultPort))
          -f, --family=FAMILY          Network family ([auto], ipv4, ipv6)
          -c, --count=COUNT            Number of messages to send (default: 0)
          -i, --interval=INTERVAL      Interval in seconds (default: 10)
          -v, --verbose                Print verbose output
          -V, --version                Print version
          -h, --help                   Print usage
              --key=FILE               Send signed messages (protocol 2) with this key
              --key-id=HH              Key id the messages carry (default: the key's own)
              --node-name=NAME         Name the messages carry (default: recorded, else uname -n)
              --phase=PHASE            started, dumping, finished or failed (default: started, then dumping)
              --broadcast              Also send to 255.255.255.255 and ff02::1 on every interface
              --also-v1                Also send the version 1 message (clusters in migration)

        """
    }
}
