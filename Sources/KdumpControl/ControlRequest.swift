import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The control protocol's version; every request and response carries it as `"v"`.
public let controlProtocolVersion = 1

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
