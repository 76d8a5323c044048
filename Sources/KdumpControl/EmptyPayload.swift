import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The payload of a response that carries nothing but the envelope (`watch`'s first line).
public struct EmptyPayload: ControlPayload, Equatable {
    public init() {}
    public func writeMembers(to writer: inout JSONWriter) {}
}
