import FoundationEssentials
import KdumpJSON
import KdumpWire

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
