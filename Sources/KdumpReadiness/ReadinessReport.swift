import KdumpJSON

/// Every readiness check of this node: ready when all are ok. `kdump-watchctl check --json`
/// prints it as `{"ready": BOOL, "checks": [{"name", "ok", "detail", "fix"}]}`.
public struct ReadinessReport: Sendable, Equatable, JSONObjectWritable {
    public var checks: [ReadinessCheck]

    public init(checks: [ReadinessCheck]) { self.checks = checks }

    public var ready: Bool { checks.allSatisfy(\.ok) }

    /// The check of that name.
    public subscript(_ name: ReadinessCheckName) -> ReadinessCheck? { checks.first { $0.name == name } }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.key("ready")
        writer.value(ready)
        writer.key("checks")
        writer.array(checks) { $0.value($1) }
    }

    /// A line a check, then the verdict, as `kdump-watchctl check` prints them.
    public var text: String {
        var lines = checks.map { check in
            let mark = check.ok ? "ok  " : "FAIL"
            return "\(mark) \(check.name.rawValue): \(check.detail)" + (check.fix.map { "\n     fix: \($0)" } ?? "")
        }
        lines.append(
            ready
                ? "ready: a crash of this node would be caught"
                : "NOT READY: a crash of this node would not be caught as configured")
        return lines.joined(separator: "\n") + "\n"
    }
}
