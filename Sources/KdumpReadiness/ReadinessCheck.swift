import KdumpJSON
import KdumpWire

/// One readiness check: whether one thing that a caught crash needs is in place; if not, what
/// is wrong, in one line, and the one command that fixes it.
public struct ReadinessCheck: Sendable, Equatable, JSONObjectWritable {
    public var name: ReadinessCheckName
    public var ok: Bool
    /// What was found: what was checked when ok, else the problem.
    public var detail: String
    /// The command that fixes it; nil when ok.
    public var fix: String?

    public init(_ name: ReadinessCheckName, ok: Bool, detail: String, fix: String? = nil) {
        self.name = name
        self.ok = ok
        self.detail = detail.oneLineMessage
        self.fix = ok ? nil : fix
    }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(JSONKey.name, name.rawValue)
        writer.member(JSONKey.ok, ok)
        writer.member(JSONKey.detail, detail)
        writer.member(JSONKey.fix, fix)
    }

    enum JSONKey: String, CodingKey { case name, ok, detail, fix }
}
