import Glibc
import KdumpWire

/// The capture-kernel sender: every `interval` seconds, sends the little-endian version 1
/// `fence_kdump` message to every address of every node (kdump-watch-send(8)).
///
/// Unlike upstream `fence_kdump_send`, a node whose name does not resolve yet is not dropped:
/// the capture kernel's network (and its resolver) can come up late, so the name is tried again
/// every round. Send errors are counted and shown with `-v`, never fatal.
public struct Sender {
    public typealias Resolver = (String, AddressFamily) throws -> [HostAddress]

    public let options: SenderOptions
    private let resolve: Resolver
    private let writeLine: (String) -> Void

    /// - Parameters:
    ///   - resolve: turns a node name into addresses; the system resolver unless a test says otherwise.
    ///   - writeLine: where log lines go (stderr).
    public init(
        options: SenderOptions,
        resolve: @escaping Resolver = { try AddressResolver.resolve($0, family: $1) },
        writeLine: @escaping (String) -> Void = Sender.standardError
    ) {
        self.options = options
        self.resolve = resolve
        self.writeLine = writeLine
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
        var resolved: [String: [HostAddress]] = [:]
        var reportedUnresolved = Set<String>()
        var sockets = SocketPair()
        defer { sockets.close() }
        var round = 0
        while options.count == 0 || round < options.count {
            round += 1
            statistics.rounds = round
            for node in options.nodes {
                if resolved[node] == nil {
                    do {
                        resolved[node] = try resolve(node, options.family)
                        if reportedUnresolved.contains(node) { debug("node '\(node)' resolves now") }
                    } catch {
                        statistics.unresolved += 1
                        if reportedUnresolved.insert(node).inserted {
                            debug("failed to get node '\(node)' (\(error)); trying again every round")
                        }
                        continue
                    }
                }
                for address in resolved[node] ?? [] {
                    if let failure = sockets.send(KdumpDatagram.littleEndianV1, to: address, port: options.port) {
                        statistics.sendErrors += 1
                        debug("failed to send message to node '\(node)' (\(address)): \(failure)")
                    } else {
                        statistics.sent += 1
                        debug("message sent to node '\(node)' (\(address))")
                    }
                }
            }
            if options.count != 0 && round >= options.count { break }
            Self.sleep(seconds: options.interval)
        }
        debug("\(statistics.sent) messages sent, \(statistics.sendErrors) send errors, \(statistics.rounds) rounds")
        return statistics
    }

    private func debug(_ message: String) {
        if options.verbose > 0 { writeLine("[debug]: \(message)") }
    }

    public static func standardError(_ line: String) {
        let text = line + "\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }

    static func sleep(seconds: Int) {
        var request = timespec(tv_sec: seconds, tv_nsec: 0)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// One unconnected UDP socket per address family, created on first use.
struct SocketPair {
    private var ipv4: Int32 = -1
    private var ipv6: Int32 = -1

    /// Sends `bytes`; the error text on failure.
    mutating func send(_ bytes: [UInt8], to address: HostAddress, port: Int) -> String? {
        let network = address.networkBytes
        if address.isIPv4 {
            if ipv4 < 0 { ipv4 = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            guard ipv4 >= 0 else { return String(cString: strerror(errno)) }
            var destination = sockaddr_in()
            destination.sin_family = sa_family_t(AF_INET)
            destination.sin_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &destination.sin_addr) { $0.copyBytes(from: network) }
            return Self.send(ipv4, bytes, &destination)
        }
        if ipv6 < 0 { ipv6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard ipv6 >= 0 else { return String(cString: strerror(errno)) }
        var destination = sockaddr_in6()
        destination.sin6_family = sa_family_t(AF_INET6)
        destination.sin6_port = in_port_t(UInt16(port).bigEndian)
        withUnsafeMutableBytes(of: &destination.sin6_addr) { $0.copyBytes(from: network) }
        return Self.send(ipv6, bytes, &destination)
    }

    private static func send<Address>(_ descriptor: Int32, _ bytes: [UInt8], _ destination: inout Address) -> String? {
        let sent = withUnsafePointer(to: &destination) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        return sent == bytes.count ? nil : String(cString: strerror(errno))
    }

    mutating func close() {
        if ipv4 >= 0 { Glibc.close(ipv4) }
        if ipv6 >= 0 { Glibc.close(ipv6) }
        ipv4 = -1
        ipv6 = -1
    }
}
