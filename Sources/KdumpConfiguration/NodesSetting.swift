import KdumpState
import KdumpWire
import Logging

/// The `nodes` setting: an explicit list, or the nodelist of a corosync configuration.
public enum NodesSetting: Sendable, Equatable {
    case list([NodeSpec])
    /// `corosync` (the default path) or `corosync:PATH`.
    case corosync(path: String)

    public static let defaultCorosyncPath = "/etc/corosync/corosync.conf"
}
