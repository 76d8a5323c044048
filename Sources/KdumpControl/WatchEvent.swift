import FoundationEssentials
import KdumpJSON
import KdumpWire

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
