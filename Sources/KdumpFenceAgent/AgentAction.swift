import KdumpCommandLine
import KdumpWire

/// What the fence agent does (`-o/--action`, or `action=`/`option=` on stdin).
public enum AgentAction: String, Sendable, CaseIterable {
    case off
    /// Treated as `off`: a node in kdump reboots by itself once the dump is saved.
    case reboot
    case monitor
    case metadata
    case validateAll = "validate-all"
}
