import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The answer to `metrics`.
public struct MetricsReport: ControlPayload, Equatable {
    /// Prometheus text exposition format.
    public var text: String
    public init(text: String) { self.text = text }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.text, text)
    }
}
