import KdumpCommandLine
import KdumpWire

/// The settings of `kdump-watch-send`, with upstream `fence_kdump_send`'s defaults.
public struct SenderOptions: Sendable, Equatable {
    public var port: Int = KdumpDatagram.defaultPort
    public var family: AddressFamily = .auto
    /// Rounds to send; 0 sends until killed.
    public var count: Int = 0
    /// Seconds between rounds.
    public var interval: Int = 10
    public var verbose: Int = 0
    public var nodes: [String] = []
    /// `--key`: send protocol version 2, signed with this key file; nil sends version 1.
    public var keyFile: String?
    /// `--key-id`: the key id signed messages carry (the cluster key's, when `--key` holds a node
    /// key); nil means the first byte of SHA-256 of the key in `--key`.
    public var keyID: UInt8?
    /// `--node-name`: the name signed messages carry; nil means the recorded one, else `uname -n`.
    public var nodeName: String?
    /// `--phase`: every message's phase; nil means `started` in the first round, `dumping` after.
    public var phase: SignedMessage.Phase?
    /// `--broadcast`: also send to 255.255.255.255 and to ff02::1 on every interface that is up.
    public var broadcast = false
    /// `--also-v1`: send version 1 beside every signed message (a cluster in migration).
    public var alsoV1 = false

    public init() {}

    /// Where the capture-kernel integration records the node's name when it builds the
    /// initramfs (kdump-watch-send(8)).
    public static let recordedNodeNamePath = "/etc/kdump-watch/node-name"
}

/// What the command line asks for.
public enum SenderCommand: Equatable, Sendable {
    case send(SenderOptions)
    case help
    case version
}

/// A usage error; like upstream, the sender prints it with the usage text and exits 1.
public struct SenderUsageError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    /// The message is kept to one line: it quotes the command line.
    public init(_ message: String) { self.message = message.oneLineMessage }
    public var description: String { message }
}

/// The command line of `fence_kdump_send`, which `kdump-watch-send` accepts unchanged.
public enum SenderCommandLine {
    static let options: [GetoptOption] = [
        GetoptOption(long: "ipport", short: "p", takesValue: true),
        GetoptOption(long: "family", short: "f", takesValue: true),
        GetoptOption(long: "count", short: "c", takesValue: true),
        GetoptOption(long: "interval", short: "i", takesValue: true),
        GetoptOption(long: "verbose", short: "v", takesValue: false),
        GetoptOption(long: "version", short: "V", takesValue: false),
        GetoptOption(long: "help", short: "h", takesValue: false),
        GetoptOption(long: "key", takesValue: true),
        GetoptOption(long: "key-id", takesValue: true),
        GetoptOption(long: "node-name", takesValue: true),
        GetoptOption(long: "phase", takesValue: true),
        GetoptOption(long: "broadcast", takesValue: false),
        GetoptOption(long: "also-v1", takesValue: false),
    ]

    public static func parse(_ arguments: [String]) throws(SenderUsageError) -> SenderCommand {
        let tokens: [GetoptToken]
        do {
            tokens = try GetoptParser.tokenize(arguments, options: options)
        } catch {
            throw SenderUsageError(error.message)
        }
        var result = SenderOptions()
        for token in tokens {
            switch token {
            case .operand(let node):
                guard !node.isEmpty else { throw SenderUsageError("empty node name") }
                result.nodes.append(node)
            case .option("help", _, _): return .help
            case .option("version", _, _): return .version
            case .option("verbose", _, _): result.verbose += 1
            case .option("ipport", let value, _):
                guard let port = Int(value ?? ""), (1...65_535).contains(port) else {
                    throw SenderUsageError("invalid ipport '\(value ?? "")'")
                }
                result.port = port
            case .option("family", let value, _):
                guard let family = AddressFamily(rawValue: value ?? "") else {
                    throw SenderUsageError("unsupported family '\(value ?? "")'")
                }
                result.family = family
            case .option("count", let value, _):
                guard let count = Int(value ?? ""), count >= 0 else {
                    throw SenderUsageError("invalid count '\(value ?? "")'")
                }
                result.count = count
            case .option("interval", let value, _):
                guard let interval = Int(value ?? ""), (1...86_400).contains(interval) else {
                    throw SenderUsageError("invalid interval '\(value ?? "")'")
                }
                result.interval = interval
            case .option("key", let value, _):
                guard let path = value, !path.isEmpty else { throw SenderUsageError("empty key file name") }
                result.keyFile = path
            case .option("key-id", let value, _):
                guard let text = value, text.utf8.count == 2, let id = UInt8(text, radix: 16) else {
                    throw SenderUsageError("invalid key id '\(value ?? "")' (two hexadecimal digits)")
                }
                result.keyID = id
            case .option("node-name", let value, _):
                guard let name = value, SignedMessage.isValidNodeName(name) else {
                    throw SenderUsageError(
                        "invalid node name '\(value ?? "")' (1 to 64 of A-Z a-z 0-9 . _ -)")
                }
                result.nodeName = name
            case .option("phase", let value, _):
                guard let phase = SignedMessage.Phase(name: value ?? "") else {
                    throw SenderUsageError("invalid phase '\(value ?? "")' (started, dumping, finished, failed)")
                }
                result.phase = phase
            case .option("broadcast", _, _): result.broadcast = true
            case .option("also-v1", _, _): result.alsoV1 = true
            case .option(let name, _, let spelled):
                throw SenderUsageError("unhandled option \(spelled) (\(name))")
            }
        }
        if result.keyFile == nil {
            for (set, option) in [
                (result.nodeName != nil, "--node-name"), (result.phase != nil, "--phase"), (result.alsoV1, "--also-v1"),
                (result.keyID != nil, "--key-id"),
            ]
            where set {
                throw SenderUsageError("\(option) needs --key (it applies to signed messages)")
            }
        }
        guard !result.nodes.isEmpty || result.broadcast else { throw SenderUsageError("no node to send to") }
        return .send(result)
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
