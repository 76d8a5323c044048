import Glibc
import KdumpAdmission
import KdumpDecision
import KdumpState
import KdumpWire

/// Waits for a `fence_kdump` message by binding the UDP port itself, like upstream
/// `fence_kdump`, for when `kdump-watchd` cannot be reached.
///
/// Every datagram goes through the daemon's own admission gate (``DatagramAdmission``), built
/// from the daemon's configuration: the same `allow` list, `auth` mode, keys, replay rule and
/// rate limit; under `auth = required` only a verified signed message confirms. A datagram
/// the gate admits confirms when it is under one of the target's table keys (``TargetKeys``)
/// and ``FenceDecision`` says it is fresh: every message read here arrives after the request,
/// and a signed one must also have been sent at most `max_age + clock_margin` before it.
/// Upstream's defects stay fixed: exact lengths, both byte orders, `::ffff:a.b.c.d` as IPv4,
/// every address of every node. Plain blocking POSIX calls: the agent is one short-lived
/// process waiting on one socket.
struct FallbackListener {
    let port: Int
    let log: AgentLog
    var admission: DatagramAdmission
    let clockMargin: Duration

    enum Outcome: Equatable {
        /// Confirmed by a message under `key`, received from `source`.
        case confirmed(HostKey, source: HostAddress)
        case timedOut
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits until an admitted message under one of `keys` confirms a request made at
    /// `requestedAt`, or `deadline` passes.
    mutating func wait(
        for keys: Set<HostKey>, requestedAt: Timestamp, maxAge: Duration, until deadline: ContinuousClock.Instant
    ) throws(Failure) -> Outcome {
        let descriptor = try bind()
        defer { close(descriptor) }
        log.debug("listening on UDP port \(port) for \(keys.sorted().map(\.description).joined(separator: ", "))")
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
                    + 1)
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "waiting on UDP port \(port) failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            var source = sockaddr_storage()
            var sourceLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            // MSG_TRUNC returns the datagram's real length, so an over-long one is never
            // mistaken for its first bytes.
            let length = withUnsafeMutablePointer(to: &source) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, &buffer, buffer.count, Int32(MSG_TRUNC), $0, &sourceLength)
                }
            }
            if length < 0 { continue }
            guard
                let sender = withUnsafePointer(
                    to: &source,
                    { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { HostAddress(socketAddress: $0) }
                    })
            else { continue }
            let arrival = SystemClock.now()
            let bytes = length > buffer.count ? buffer + [0] : Array(buffer[..<length])
            let key: HostKey
            var sentAt: WallClockTime?
            switch admission.admit(bytes, from: sender, at: arrival.monotonic.nanoseconds, wallClock: arrival.wall) {
            case .accepted:
                key = .address(sender)
            case .signed(let message):
                key = .node(message.node)
                sentAt = message.sentAt
            case .rejected(let reason, let detail):
                log.debug(
                    "discarded invalid message from \(sender): \(reason.rawValue)\(detail.map { " (\($0))" } ?? "")")
                continue
            }
            guard keys.contains(key) else {
                log.debug("discarded message from \(sender) (\(key)): not a node being fenced")
                continue
            }
            let fresh =
                FenceDecision.confirms(
                    lastMessage: arrival.monotonic, requestedAt: requestedAt.monotonic, maxAge: maxAge)
                && (sentAt.map {
                    FenceDecision.confirms(
                        sentAt: $0, requestedAt: requestedAt.wall, maxAge: maxAge, clockMargin: clockMargin)
                } ?? true)
            guard fresh else {
                log.debug("discarded message from \(sender) (\(key)): sent too long before the request")
                continue
            }
            return .confirmed(key, source: sender)
        }
    }

    /// One dual-stack socket on `::`, or IPv4 only where IPv6 is disabled; no `SO_REUSEADDR`,
    /// so a port held by kdump-watchd or another agent is reported, not shared.
    private func bind() throws(Failure) -> Int32 {
        var descriptor = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let ipv6 = descriptor >= 0
        if ipv6 {
            var off: Int32 = 0
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        } else {
            descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else {
                throw Failure(description: "cannot create a UDP socket: \(String(cString: strerror(errno)))")
            }
        }
        let status = HostAddress.unspecified(ipv6: ipv6).withSocketAddress(port: port) {
            Glibc.bind(descriptor, $0, $1)
        }
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "cannot bind UDP port \(port): \(reason)")
        }
        return descriptor
    }
}
