import FoundationEssentials
import KdumpJSON
import KdumpWire

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
