/// What the agent's `monitor` does when kdump-watchd says a crash of this node would not be
/// caught (readiness; operators-guide.md, "Readiness").
public enum ReadinessMode: String, Sendable, CaseIterable {
    /// Log the failing checks and succeed: Pacemaker keeps the device (the default; an alert on
    /// `kdump_watch_capture_ready` tells the operator).
    case warn
    /// Fail: Pacemaker stops the device, so its fencing level is skipped until it recovers.
    case fail
}
