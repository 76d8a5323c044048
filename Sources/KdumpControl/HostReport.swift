import FoundationEssentials
import KdumpJSON
import KdumpWire

/// A host as status, wait and watch show it; the shape `status --json` promises
/// (Documentation/control-protocol.md). The daemon builds it from its table's rows.
public struct HostReport: ControlPayload, Equatable {
    /// Whether the host is still sending.
    public enum State: String, Codable, Sendable {
        /// The last message is younger than `finished_after`.
        case dumping
        /// Messages stopped: the dump is done and the node rebooted, or the sender is gone.
        case finished
    }

    public var address: String
    public var node: String?
    public var state: State
    /// RFC 3339, UTC.
    public var firstSeen: String
    public var lastSeen: String
    public var messages: Int
    /// Seconds since the last message; nil when unknown.
    public var lastSeenAgeSeconds: Double?
    /// Whether the messages were signed and verified (protocol version 2): the row then stands
    /// for `node`, and `address` is only where the latest message came from.
    public var auth: Bool
    /// The phase of the latest signed message (`started`, `dumping`, `finished`, `failed`);
    /// nil for version 1.
    public var phase: String?

    public init(
        address: String, node: String?, state: State, firstSeen: String, lastSeen: String, messages: Int,
        lastSeenAgeSeconds: Double?, auth: Bool = false, phase: String? = nil
    ) {
        self.address = address
        self.node = node
        self.state = state
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.messages = messages
        self.lastSeenAgeSeconds = lastSeenAgeSeconds
        self.auth = auth
        self.phase = phase
    }

    /// A daemon from before protocol version 2 sends neither `auth` nor `phase`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            address: try container.decode(String.self, forKey: .address),
            node: try container.decodeIfPresent(String.self, forKey: .node),
            state: try container.decode(State.self, forKey: .state),
            firstSeen: try container.decode(String.self, forKey: .firstSeen),
            lastSeen: try container.decode(String.self, forKey: .lastSeen),
            messages: try container.decode(Int.self, forKey: .messages),
            lastSeenAgeSeconds: try container.decodeIfPresent(Double.self, forKey: .lastSeenAgeSeconds),
            auth: try container.decodeIfPresent(Bool.self, forKey: .auth) ?? false,
            phase: try container.decodeIfPresent(String.self, forKey: .phase))
    }

    enum CodingKeys: String, CodingKey {
        case address, node, state, messages, auth, phase
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case lastSeenAgeSeconds = "last_seen_age_seconds"
    }

    /// A missing node or age is an explicit null, as scripts expect.
    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.address, address)
        writer.member(CodingKeys.node, node)
        writer.member(CodingKeys.state, state)
        writer.member(CodingKeys.firstSeen, firstSeen)
        writer.member(CodingKeys.lastSeen, lastSeen)
        writer.member(CodingKeys.messages, messages)
        writer.member(CodingKeys.lastSeenAgeSeconds, lastSeenAgeSeconds)
        writer.member(CodingKeys.auth, auth)
        writer.member(CodingKeys.phase, phase)
    }
}
