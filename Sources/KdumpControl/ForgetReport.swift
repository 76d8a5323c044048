import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The answer to `forget`.
public struct ForgetReport: ControlPayload, Equatable {
    public var forgotten: [HostReport]
    public init(forgotten: [HostReport]) { self.forgotten = forgotten }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.forgotten, forgotten)
    }
}
