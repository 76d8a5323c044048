#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

/// The capture-kernel sender: every `interval` seconds, sends the little-endian version 1
/// `fence_kdump` message, or with a key a signed version 2 message, to every address of every
/// node, and with `--broadcast` to the broadcast addresses too (kdump-watch-send(8)).
///
/// Unlike upstream `fence_kdump_send`, a node whose name does not resolve yet is not dropped:
/// the capture kernel's network (and its resolver) can come up late, so the name is tried again
/// every round. Send errors are counted and shown with `-v`, never fatal.
public struct Sender {
    public typealias Resolver = (String, AddressFamily) throws(AddressResolver.Failure) -> [HostAddress]

    public let options: SenderOptions
    private let resolve: Resolver
    private let writeLine: (String) -> Void
    private let signer: MessageSigner?

    /// - Parameters:
    ///   - signer: signs version 2 messages; nil sends version 1.
    ///   - resolve: turns a node name into addresses; the system resolver unless a test says otherwise.
    ///   - writeLine: where log lines go (stderr).
    public init(
        options: SenderOptions, signer: MessageSigner? = nil,
        resolve: @escaping Resolver = { (name, family) throws(AddressResolver.Failure) in
            try AddressResolver.resolve(name, family: family)
        },
        writeLine: @escaping (String) -> Void = Sender.standardError
    ) {
        self.options = options
        self.signer = signer
        self.resolve = resolve
        self.writeLine = writeLine
    }

    /// The messages for one destination in `round`: the signed one (and version 1 beside it
    /// with `--also-v1`), or version 1 alone.
    private func payloads(round: Int, signer: inout MessageSigner?) -> [[UInt8]] {
        guard signer != nil else { return [KdumpDatagram.littleEndianV1] }
        let phase = options.phase ?? (round == 1 ? .started : .dumping)
        let signed = signer!.next(phase: phase)
        return options.alsoV1 ? [signed, KdumpDatagram.littleEndianV1] : [signed]
    }

    /// What one run did, for tests and the final verbose summary.
    public struct Statistics: Equatable, Sendable {
        public var rounds = 0
        public var sent = 0
        public var sendErrors = 0
        public var unresolved = 0
    }

    /// Sends `count` rounds (forever when 0); returns what it did.
    @discardableResult
    public func run() -> Statistics {
        var statistics = Statistics()
        var signer = self.signer
        // By the node's place in the list: no string is hashed (the embedded sender links no
        // Unicode tables, and hashing would seed itself from the blocking getrandom(2)).
        var resolved = [[Destination]?](repeating: nil, count: options.nodes.count)
        var reportedUnresolved = [Bool](repeating: false, count: options.nodes.count)
        var sockets = SocketPair()
        defer { sockets.close() }
        var round = 0
        while options.count == 0 || round < options.count {
            round += 1
            statistics.rounds = round
            for (place, node) in options.nodes.enumerated() {
                if resolved[place] == nil {
                    do {
                        resolved[place] = try destinations(of: node)
                        if reportedUnresolved[place] { debug("node '\(node)' resolves now") }
                    } catch {
                        statistics.unresolved += 1
                        if !reportedUnresolved[place] {
                            reportedUnresolved[place] = true
                            debug("failed to get node '\(node)' (\(error)); trying again every round")
                        }
                        continue
                    }
                }
                for destination in resolved[place] ?? [] {
                    send(
                        to: destination, node: node, round: round, signer: &signer, sockets: &sockets,
                        statistics: &statistics)
                }
            }
            if options.broadcast {
                for destination in Destination.broadcasts(family: options.family) {
                    send(
                        to: destination, node: nil, round: round, signer: &signer, sockets: &sockets,
                        statistics: &statistics)
                }
            }
            if options.count != 0 && round >= options.count { break }
            Self.sleep(seconds: options.interval)
        }
        if options.verbose > 0 {
            debug("\(statistics.sent) messages sent, \(statistics.sendErrors) send errors, \(statistics.rounds) rounds")
        }
        return statistics
    }

    private func send(
        to destination: Destination, node: String?, round: Int, signer: inout MessageSigner?,
        sockets: inout SocketPair, statistics: inout Statistics
    ) {
        for payload in payloads(round: round, signer: &signer) {
            let failure = sockets.send(payload, to: destination, port: options.port)
            if failure == nil { statistics.sent += 1 } else { statistics.sendErrors += 1 }
            // Only under -v: the first datagram of the next destination waits for any text built here.
            guard options.verbose > 0 else { continue }
            let kind = payload.count == KdumpDatagram.length ? "message" : "signed message"
            let name = node.map { "node '\($0)'" } ?? "broadcast"
            if let failure {
                debug("failed to send \(kind) to \(name) (\(destination)): \(failure)")
            } else {
                debug("\(kind) sent to \(name) (\(destination))")
            }
        }
    }

    /// A NODE's destinations: a literal address, with `%interface` for a link-local or
    /// multicast IPv6 one (`ff02::1%eth0`), or what the resolver gives the name.
    private func destinations(of node: String) throws(DestinationError) -> [Destination] {
        if let percent = node.utf8.firstIndex(of: UInt8(ascii: "%")),
            let address = HostAddress(String(node[..<percent]))
        {
            let interface = String(node[node.utf8.index(after: percent)...])
            let index = UInt32(interface) ?? if_nametoindex(interface)
            guard index != 0 else { throw DestinationError(message: "no interface '\(interface)'") }
            return [Destination(address: address, scopeID: index, interface: interface)]
        }
        do {
            return try resolve(node, options.family).map { Destination(address: $0) }
        } catch {
            throw DestinationError(message: error.description)
        }
    }

    private func debug(_ message: String) {
        if options.verbose > 0 { writeLine("[debug]: \(message)") }
    }

    public static func standardError(_ line: String) {
        // Killing the sender is how a capture kernel stops it: a closed pipe on stderr is not a
        // reason to die. Ignored here, before each write, rather than once at start: the start
        // before the first datagram is timed against upstream's, and most runs write nothing.
        signal(SIGPIPE, SIG_IGN)
        let text = line + "\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }

    static func sleep(seconds: Int) {
        var request = timespec(tv_sec: seconds, tv_nsec: 0)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
