import FoundationEssentials
import Glibc

/// A blocking client for the control socket, shared by `kdump-watchctl` and the fence agent.
///
/// It speaks plain POSIX sockets rather than SwiftNIO: each tool makes one request and exits,
/// and starting an event loop group would cost more time than the whole exchange (a fence
/// agent's confirm latency is measured in milliseconds).
public final class ControlClient {
    public let path: String
    private var descriptor: Int32
    private var framer = LineFramer(maximumLineLength: 16 << 20)
    private var pending: [[UInt8]] = []

    /// Connects to the daemon at `path`.
    public init(path: String = ControlSocketPath.forClient()) throws(ControlClientError) {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity, !path.isEmpty else {
            throw .unreachable(path: path, reason: "socket path is empty or too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unreachable(path: path, reason: Self.errnoText()) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let reason = Self.errnoText()
            close(fd)
            throw .unreachable(path: path, reason: reason)
        }
        descriptor = fd
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Sends one request.
    public func send(_ request: ControlRequest) throws(ControlClientError) {
        let bytes = request.encodedLine()
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .protocolFailure("sending the request failed: \(Self.errnoText())")
            }
            offset += written
        }
    }

    /// Reads the next line; nil at end of stream or when `timeout` passes first.
    public func readLine(timeout: Duration? = nil) throws(ControlClientError) -> [UInt8]? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while pending.isEmpty {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            var waitMilliseconds: Int32 = -1
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero { return nil }
                waitMilliseconds = Int32(
                    clamping: remaining.components.seconds * 1000
                        + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            let ready = poll(&poller, 1, waitMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .protocolFailure("waiting for the answer failed: \(Self.errnoText())")
            }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .protocolFailure("reading the answer failed: \(Self.errnoText())")
            }
            if count == 0 { return nil }
            for frame in framer.append(chunk[..<count]) {
                switch frame {
                case .line(let line): pending.append(line)
                case .tooLong: throw .protocolFailure("answer line too long")
                }
            }
        }
        return pending.removeFirst()
    }

    /// Sends `request` and decodes its answer; a protocol error is thrown as ``ControlClientError/daemon(_:)``.
    public func call<Payload: ControlPayload>(
        _ request: ControlRequest, expecting: Payload.Type, timeout: Duration? = .seconds(30)
    ) throws(ControlClientError) -> Payload {
        do {
            try send(request)
        } catch {
            // A daemon that refuses a client (permission, max_clients) answers and closes at
            // once; the request may then meet a closed socket. Its answer says why: read it.
            guard let answer = try? readLine(timeout: .seconds(1)) else { throw error }
            return try Self.decodeResponse(answer, as: Payload.self)
        }
        guard let line = try readLine(timeout: timeout) else {
            throw .protocolFailure(
                timeout == nil ? "connection closed before an answer" : "no answer (connection closed or timed out)")
        }
        return try Self.decodeResponse(line, as: Payload.self)
    }

    /// Decodes one response line.
    public static func decodeResponse<Payload: ControlPayload>(
        _ line: [UInt8], as: Payload.Type
    ) throws(ControlClientError) -> Payload {
        let response: ControlResponse<Payload>
        do {
            response = try ControlCoding.decode(ControlResponse<Payload>.self, from: line)
        } catch {
            throw .protocolFailure("unexpected answer: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        if let error = response.error { throw .daemon(error) }
        guard response.ok, let payload = response.payload else {
            throw .protocolFailure("answer without result")
        }
        return payload
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
