/// A readiness report with the fingerprint of what it read (``ReadinessProbe/fingerprint()``),
/// so that the next run can tell whether anything changed.
public struct ReadinessSnapshot: Sendable, Equatable {
    public var fingerprint: [Int64]
    public var report: ReadinessReport

    public init(fingerprint: [Int64], report: ReadinessReport) {
        self.fingerprint = fingerprint
        self.report = report
    }
}
