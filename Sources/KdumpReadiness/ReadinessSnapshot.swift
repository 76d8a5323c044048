/// A readiness report with the fingerprint of what it read (``ReadinessProbe/fingerprint()``),
/// so that the next run can tell whether anything changed.
public struct ReadinessSnapshot: Sendable, Equatable {
    public var fingerprint: [Int64]
    public var report: ReadinessReport
    /// What the image announces to, which `peers_reachable` checks again at every run (the
    /// cluster's membership changes while the image does not); nil when the image was unread.
    var imageTargets: ReadinessProbe.ImageTargets?

    init(fingerprint: [Int64], report: ReadinessReport, imageTargets: ReadinessProbe.ImageTargets?) {
        self.fingerprint = fingerprint
        self.report = report
        self.imageTargets = imageTargets
    }
}
