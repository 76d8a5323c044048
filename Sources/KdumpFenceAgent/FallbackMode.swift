import KdumpCommandLine
import KdumpWire

/// What to do when `kdump-watchd` cannot be reached.
public enum FallbackMode: String, Sendable, CaseIterable {
    /// Bind the UDP port and wait for a message, like upstream `fence_kdump`.
    case listen
    /// Fail at once.
    case none
}
