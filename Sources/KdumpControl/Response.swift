import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The error codes of the control protocol.
public enum ControlErrorCode: String, Codable, Sendable {
    /// The request line is malformed: not JSON, a bad field, a missing argument.
    case badRequest = "bad_request"
    case unsupportedVersion = "unsupported_version"
    /// The request line exceeds the daemon's limit; the connection is closed.
    case requestTooLarge = "request_too_large"
    /// A target name does not resolve.
    case unresolvable
    /// The peer is neither root nor in the control group.
    case permissionDenied = "permission_denied"
    /// The daemon serves `max_clients` connections already.
    case tooManyClients = "too_many_clients"
    /// No complete request within the idle limit; the connection is closed.
    case idleTimeout = "idle_timeout"
    /// The daemon is shutting down.
    case shuttingDown = "shutting_down"
    case internalError = "internal_error"
}

/// A protocol-level error: what the daemon sends as `{"ok":false,"error":{…}}`, and what the
/// client throws when it receives one.
public struct ControlError: Error, Decodable, JSONObjectWritable, Sendable, Equatable, CustomStringConvertible {
    public var code: ControlErrorCode
    public var message: String

    /// The message is kept to one line: it may quote the request.
    public init(_ code: ControlErrorCode, _ message: String) {
        self.code = code
        self.message = message.oneLineMessage
    }

    public var description: String { message }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.code, code)
        writer.member(CodingKeys.message, message)
    }
}

/// What a response carries besides the envelope: read by clients, written by the daemon.
public typealias ControlPayload = Decodable & JSONObjectWritable & Sendable

/// A response line: the envelope (`v`, `ok`, `op`, `id`, `error`) plus the operation's payload
/// flattened into the same object.
public struct ControlResponse<Payload: ControlPayload>: ControlPayload {
    public var version: Int
    public var ok: Bool
    public var op: ControlOperation?
    public var id: String?
    public var error: ControlError?
    public var payload: Payload?

    public init(op: ControlOperation?, id: String?, payload: Payload) {
        self.version = controlProtocolVersion
        self.ok = true
        self.op = op
        self.id = id
        self.payload = payload
    }

    public init(op: ControlOperation?, id: String?, error: ControlError) {
        self.version = controlProtocolVersion
        self.ok = false
        self.op = op
        self.id = id
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case ok, op, id, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        ok = try container.decode(Bool.self, forKey: .ok)
        op = try container.decodeIfPresent(ControlOperation.self, forKey: .op)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        error = try container.decodeIfPresent(ControlError.self, forKey: .error)
        payload = ok ? try Payload(from: decoder) : nil
    }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.version, version)
        writer.member(CodingKeys.ok, ok)
        if let op { writer.member(CodingKeys.op, op) }
        if let id { writer.member(CodingKeys.id, id) }
        if let error { writer.member(CodingKeys.error, error) }
        payload?.writeMembers(to: &writer)
    }
}

/// The payload of a response that carries nothing but the envelope (`watch`'s first line).
public struct EmptyPayload: ControlPayload, Equatable {
    public init() {}
    public func writeMembers(to writer: inout JSONWriter) {}
}

/// JSON encoding shared by both ends: compact, one object per line, members in the order each
/// type writes them (see `JSONWriter`).
public enum ControlCoding {
    public static func line(_ value: some JSONObjectWritable) -> [UInt8] { value.jsonLine() }

    public static func decode<T: Decodable>(_ type: T.Type, from line: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(line))
    }
}
