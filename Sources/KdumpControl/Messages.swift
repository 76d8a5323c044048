import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The control protocol's version; every request and response carries it as `"v"`.
public let controlProtocolVersion = 1

/// The operations of the control protocol (`Documentation/control-protocol.md`).
public enum ControlOperation: String, Codable, Sendable, CaseIterable {
    case status, wait, watch, forget, metrics, health
}

/// One request line.
///
/// Fields that an operation does not use are ignored; numbers are seconds. Read only through
/// ``parse(_:)``, which checks every field: there is no unchecked `Decodable` way in.
public struct ControlRequest: JSONObjectWritable, Sendable, Equatable {
    public var version: Int
    public var op: ControlOperation
    /// Echoed in the response, so a client may pipeline requests.
    public var id: String?
    /// `status` and `forget`: node names or addresses.
    public var hosts: [String]?
    /// `wait`: node names or addresses; any one of them confirms.
    public var targets: [String]?
    /// `wait`: total deadline in seconds.
    public var timeout: Double?
    /// `wait`: oldest acceptable message, in seconds before the request; daemon default if absent.
    public var maxAge: Double?
    /// `wait` and `status`: which addresses names resolve to.
    public var family: AddressFamily?

    public init(
        op: ControlOperation, id: String? = nil, hosts: [String]? = nil, targets: [String]? = nil,
        timeout: Double? = nil, maxAge: Double? = nil, family: AddressFamily? = nil
    ) {
        self.version = controlProtocolVersion
        self.op = op
        self.id = id
        self.hosts = hosts
        self.targets = targets
        self.timeout = timeout
        self.maxAge = maxAge
        self.family = family
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case op, id, hosts, targets, timeout, family
        case maxAge = "max_age"
    }

    /// The largest `timeout` or `max_age` accepted: one week.
    public static let maximumSeconds: Double = 604_800

    /// Parses and checks one request line; the error says exactly what is wrong.
    public static func parse(_ line: some Collection<UInt8>) throws(ControlError) -> ControlRequest {
        guard let text = String(validating: Array(line), as: UTF8.self) else {
            throw ControlError(.badRequest, "request is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(CheckedRequest.self, from: Data(text.utf8)).request
        } catch let error as ControlError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw ControlError(.badRequest, "request must be a JSON object")
        } catch {
            throw ControlError(.badRequest, "request is not valid JSON")
        }
    }

    /// Decodes a request field by field with the type each key needs, so that a valid request is
    /// read without a single failed attempt (probing each value's type by trying to decode it, as
    /// an untyped JSON value needs with `Decoder`, cost 87 µs a request), and a wrong type is
    /// reported by its key.
    private struct CheckedRequest: Decodable {
        let request: ControlRequest

        private struct Key: CodingKey {
            let stringValue: String
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: Key.self)
            guard let version = try? fields.decode(Double.self, forKey: Key("v")) else {
                throw ControlError(.badRequest, "missing protocol version \"v\"")
            }
            guard version == Double(controlProtocolVersion) else {
                throw ControlError(
                    .unsupportedVersion,
                    "protocol version \(version.plainText) is not supported (this daemon speaks \(controlProtocolVersion))"
                )
            }
            guard let opName = try? fields.decode(String.self, forKey: Key("op")) else {
                throw ControlError(.badRequest, "missing \"op\"")
            }
            guard let op = ControlOperation(rawValue: opName) else {
                throw ControlError(.badRequest, "unknown op '\(opName.prefix(64))'")
            }
            var request = ControlRequest(op: op)
            for key in fields.allKeys {
                let name = key.stringValue
                switch name {
                case "v", "op": continue
                case "id": request.id = try Self.string(fields, key)
                case "hosts": request.hosts = try Self.stringList(fields, key)
                case "targets": request.targets = try Self.stringList(fields, key)
                case "timeout": request.timeout = try Self.seconds(fields, key)
                case "max_age": request.maxAge = try Self.seconds(fields, key)
                case "family":
                    guard let family = AddressFamily(rawValue: try Self.string(fields, key)) else {
                        throw ControlError(.badRequest, "\"family\" must be auto, ipv4 or ipv6")
                    }
                    request.family = family
                default:
                    throw ControlError(.badRequest, "unknown field \"\(name.prefix(64))\"")
                }
            }
            if op == .wait, (request.targets ?? []).isEmpty {
                throw ControlError(.badRequest, "wait needs a non-empty \"targets\" list")
            }
            if op == .forget, (request.hosts ?? []).isEmpty {
                throw ControlError(.badRequest, "forget needs a non-empty \"hosts\" list")
            }
            self.request = request
        }

        private static func string(_ fields: KeyedDecodingContainer<Key>, _ key: Key) throws -> String {
            guard let text = try? fields.decode(String.self, forKey: key) else {
                throw ControlError(.badRequest, "\"\(key.stringValue)\" must be a string")
            }
            return text
        }

        private static func stringList(_ fields: KeyedDecodingContainer<Key>, _ key: Key) throws -> [String] {
            let listError = ControlError(.badRequest, "\"\(key.stringValue)\" must be a list of at most 1024 strings")
            guard var items = try? fields.nestedUnkeyedContainer(forKey: key) else { throw listError }
            var result: [String] = []
            while !items.isAtEnd {
                guard result.count < 1024 else { throw listError }
                guard let text = try? items.decode(String.self), !text.isEmpty, text.utf8.count <= 255 else {
                    throw ControlError(
                        .badRequest, "\"\(key.stringValue)\" must hold non-empty strings of at most 255 bytes")
                }
                result.append(text)
            }
            return result
        }

        private static func seconds(_ fields: KeyedDecodingContainer<Key>, _ key: Key) throws -> Double {
            guard let number = try? fields.decode(Double.self, forKey: key), number.isFinite, number >= 0,
                number <= ControlRequest.maximumSeconds
            else {
                throw ControlError(
                    .badRequest,
                    "\"\(key.stringValue)\" must be a number of seconds from 0 to \(Int(ControlRequest.maximumSeconds))"
                )
            }
            return number
        }
    }

    /// The request as one line, newline included.
    public func encodedLine() -> [UInt8] { jsonLine() }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.version, version)
        writer.member(CodingKeys.op, op)
        if let id { writer.member(CodingKeys.id, id) }
        if let hosts { writer.member(CodingKeys.hosts, hosts) }
        if let targets { writer.member(CodingKeys.targets, targets) }
        if let timeout { writer.member(CodingKeys.timeout, timeout) }
        if let maxAge { writer.member(CodingKeys.maxAge, maxAge) }
        if let family { writer.member(CodingKeys.family, family) }
    }
}

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

/// The answer to `status`: the object `kdump-watchctl status --json` prints.
public struct StatusReport: ControlPayload, Equatable {
    public var hosts: [HostReport]
    /// Invalid datagrams since the daemon started, by reason (every reason present).
    public var invalid: [String: Int]

    public init(hosts: [HostReport], invalid: [InvalidDatagramReason: Int]) {
        self.hosts = hosts
        var counts: [String: Int] = [:]
        for reason in InvalidDatagramReason.allCases { counts[reason.rawValue] = invalid[reason] ?? 0 }
        self.invalid = counts
    }

    /// The counts come out sorted by reason, not in the dictionary's hash order.
    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.hosts, hosts)
        writer.key(CodingKeys.invalid)
        writer.beginObject()
        for (reason, count) in invalid.sorted(by: { $0.key < $1.key }) {
            writer.key(reason)
            writer.value(count)
        }
        writer.endObject()
    }
}

/// The answer to `wait`.
public struct WaitReport: ControlPayload, Equatable {
    public enum Result: String, Codable, Sendable { case confirmed, timeout }
    public var result: Result
    /// The entry whose message confirmed the request.
    public var host: HostReport?
    /// Which of the request's targets it belongs to.
    public var target: String?
    public var waitedSeconds: Double

    public init(result: Result, host: HostReport?, target: String?, waitedSeconds: Double) {
        self.result = result
        self.host = host
        self.target = target
        self.waitedSeconds = waitedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case result, host, target
        case waitedSeconds = "waited_seconds"
    }

    /// `host` and `target` are omitted, not null, after a timeout.
    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.result, result)
        if let host { writer.member(CodingKeys.host, host) }
        if let target { writer.member(CodingKeys.target, target) }
        writer.member(CodingKeys.waitedSeconds, waitedSeconds)
    }
}

/// The answer to `forget`.
public struct ForgetReport: ControlPayload, Equatable {
    public var forgotten: [HostReport]
    public init(forgotten: [HostReport]) { self.forgotten = forgotten }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.forgotten, forgotten)
    }
}

/// The answer to `metrics`.
public struct MetricsReport: ControlPayload, Equatable {
    /// Prometheus text exposition format.
    public var text: String
    public init(text: String) { self.text = text }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.text, text)
    }
}

/// The answer to `health`: enough for a fence agent's `monitor` to know the daemon is alive
/// and holds the UDP port.
public struct HealthReport: ControlPayload, Equatable {
    public struct Listener: ControlPayload, Equatable, CustomStringConvertible {
        public var address: String
        public var port: Int
        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }

        /// `127.0.0.1:7410` or `[::]:7410`, as logs and `kdump-watchctl health` show it.
        public var description: String { endpointText(address, port: port) }

        public func writeMembers(to writer: inout JSONWriter) {
            writer.member(CodingKeys.address, address)
            writer.member(CodingKeys.port, port)
        }
    }

    public var version: String
    public var pid: Int
    public var uptimeSeconds: Double
    /// The UDP sockets the daemon holds.
    public var udp: [Listener]
    public var hostsDumping: Int
    public var hostsFinished: Int
    public var waitsInFlight: Int
    public var controlClients: Int
    /// Whether the last state-file write succeeded (true before any write).
    public var stateWritable: Bool
    /// The daemon's default `max_age` for waits, in seconds.
    public var maxAgeSeconds: Double
    /// The `auth` mode in force: `none`, `optional` or `required` (nil from an older daemon).
    public var auth: String?
    /// Why the key files of `auth_key` cannot be read now, checked at each `health` request;
    /// nil when they can (or none is set). The daemon keeps the keys it read at start or
    /// reload, but would not start again with these files.
    public var authKeyError: String?
    /// Where the HTTP `/metrics` endpoint listens (`metrics_listen`); empty when it is off, nil
    /// from an older daemon.
    public var metrics: [Listener]?
    /// The cluster name the node keys are bound to, with `auth` other than `none`.
    public var clusterName: String?

    public init(
        version: String, pid: Int, uptimeSeconds: Double, udp: [Listener], hostsDumping: Int,
        hostsFinished: Int, waitsInFlight: Int, controlClients: Int, stateWritable: Bool, maxAgeSeconds: Double,
        auth: String? = nil, authKeyError: String? = nil, metrics: [Listener]? = nil, clusterName: String? = nil
    ) {
        self.clusterName = clusterName
        self.metrics = metrics
        self.auth = auth
        self.authKeyError = authKeyError
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.udp = udp
        self.hostsDumping = hostsDumping
        self.hostsFinished = hostsFinished
        self.waitsInFlight = waitsInFlight
        self.controlClients = controlClients
        self.stateWritable = stateWritable
        self.maxAgeSeconds = maxAgeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case version, pid, udp
        case uptimeSeconds = "uptime_seconds"
        case hostsDumping = "hosts_dumping"
        case hostsFinished = "hosts_finished"
        case waitsInFlight = "waits_in_flight"
        case controlClients = "control_clients"
        case stateWritable = "state_writable"
        case maxAgeSeconds = "max_age_seconds"
        case auth
        case authKeyError = "auth_key_error"
        case metrics
        case clusterName = "cluster_name"
    }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.version, version)
        writer.member(CodingKeys.pid, pid)
        writer.member(CodingKeys.uptimeSeconds, uptimeSeconds)
        writer.member(CodingKeys.udp, udp)
        writer.member(CodingKeys.hostsDumping, hostsDumping)
        writer.member(CodingKeys.hostsFinished, hostsFinished)
        writer.member(CodingKeys.waitsInFlight, waitsInFlight)
        writer.member(CodingKeys.controlClients, controlClients)
        writer.member(CodingKeys.stateWritable, stateWritable)
        writer.member(CodingKeys.maxAgeSeconds, maxAgeSeconds)
        writer.member(CodingKeys.auth, auth)
        writer.member(CodingKeys.authKeyError, authKeyError)
        if let metrics { writer.member(CodingKeys.metrics, metrics) }
        if let clusterName { writer.member(CodingKeys.clusterName, clusterName) }
    }
}

/// One event of a `watch` stream.
public struct WatchEvent: ControlPayload, Equatable {
    /// `episode_started`, `message`, `finished`, `expired`, `evicted`, `forgotten` or `invalid`.
    public var event: String
    /// The host, for table events.
    public var host: HostReport?
    /// The reason, for `invalid`.
    public var reason: String?
    /// The sender, for `invalid`.
    public var source: String?
    /// When it happened, RFC 3339 UTC.
    public var time: String
    /// For `invalid`: how many such datagrams from `source` arrived together (absent when one).
    public var count: Int?

    public init(event: String, host: HostReport?, reason: String?, source: String?, time: String, count: Int? = nil) {
        self.event = event
        self.host = host
        self.reason = reason
        self.source = source
        self.time = time
        self.count = count
    }

    /// Fields that do not apply to the event are omitted.
    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.event, event)
        if let host { writer.member(CodingKeys.host, host) }
        if let reason { writer.member(CodingKeys.reason, reason) }
        if let source { writer.member(CodingKeys.source, source) }
        writer.member(CodingKeys.time, time)
        if let count, count > 1 { writer.member(CodingKeys.count, count) }
    }
}
