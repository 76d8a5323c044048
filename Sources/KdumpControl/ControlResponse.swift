import FoundationEssentials
import KdumpJSON
import KdumpWire

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
