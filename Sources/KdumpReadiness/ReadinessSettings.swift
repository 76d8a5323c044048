import Glibc
import KdumpConfiguration

/// Where the readiness checks look. The defaults are the installed system's; each path can be
/// pointed elsewhere through the environment variable beside it, as the capture-kernel hooks'
/// can, so that tests check real images without a kdump service or a loaded crash kernel.
public struct ReadinessSettings: Sendable {
    /// `KDUMP_WATCH_KEXEC_CRASH_LOADED`: 1 when a capture kernel is loaded.
    public var crashLoadedPath = "/sys/kernel/kexec_crash_loaded"
    /// `uname -r`: whose capture image to read.
    public var kernelRelease: String
    /// The image to read instead of the kdump service's (`check --image`).
    public var image: CaptureImage?
    /// kdump-watchd's configuration (`--config`); nil for its default path.
    public var daemonConfigurationPath: String?
    /// The configuration itself, when the caller holds it (the daemon, with its command-line
    /// overrides); nil to read `daemonConfigurationPath`.
    public var daemonConfiguration: DaemonConfiguration?
    /// `KDUMP_WATCH_SEND_CONF`: the capture-kernel integration's settings (NODE_NAME, the key).
    public var senderConfigurationPath = "/etc/kdump-watch/kdump-watch-send.conf"
    /// `KDUMP_WATCH_NODE_NAME_FILE`: the node name recorded at installation.
    public var recordedNodeNamePath = "/etc/kdump-watch/node-name"
    /// Files whose change the image must follow (`KDUMP_WATCH_SEND` replaces the sender's path):
    /// the sender and the integration's hooks and modules of both families.
    public var integrationFiles = [
        "/usr/sbin/kdump-watch-send", "/usr/share/initramfs-tools/hooks/kdump-watch",
        "/usr/share/initramfs-tools/scripts/init-premount/kdump-watch", "/usr/share/kdump-watch/kdump-watch-capture.sh",
        "/usr/lib/dracut/modules.d/99kdump-watch/module-setup.sh",
        "/usr/lib/dracut/modules.d/99kdump-watch/kdump-watch-nodes.sh",
    ]
    /// `KDUMP_TOOLS_DEFAULTS`: kdump-tools' settings, whose KDUMP_CMDLINE_APPEND may configure
    /// the capture kernel's network itself (`ip=`).
    public var kdumpToolsDefaultsPath = "/etc/default/kdump-tools"
    /// `KDUMP_SYSCONFIG`: kdump-utils' settings, whose KDUMP_COMMANDLINE_APPEND may configure
    /// the capture kernel's network itself (`ip=`).
    public var kdumpUtilsSysconfigPath = "/etc/sysconfig/kdump"
    /// `KDUMP_WATCH_COROSYNC_CONF`: corosync's configuration, whose nodelist names this node
    /// when Pacemaker does not.
    public var corosyncConfigurationPath = "/etc/corosync/corosync.conf"
    /// Asks Pacemaker for this node's name (`crm_node -n`) and the cluster's members
    /// (`crm_node -p`).
    public var asksPacemaker = true

    public init(kernelRelease: String) { self.kernelRelease = kernelRelease }

    /// The installed system's paths, with the overrides `environment` gives (a variable's value
    /// by its name).
    public static func system(environment: (String) -> String?) -> ReadinessSettings {
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var settings = ReadinessSettings(kernelRelease: release)
        if let path = environment("KDUMP_WATCH_KEXEC_CRASH_LOADED") { settings.crashLoadedPath = path }
        if let path = environment("KDUMP_WATCH_SEND_CONF") { settings.senderConfigurationPath = path }
        if let path = environment("KDUMP_WATCH_NODE_NAME_FILE") { settings.recordedNodeNamePath = path }
        if let path = environment("KDUMP_WATCH_SEND") { settings.integrationFiles[0] = path }
        if let path = environment("KDUMP_TOOLS_DEFAULTS") { settings.kdumpToolsDefaultsPath = path }
        if let path = environment("KDUMP_SYSCONFIG") { settings.kdumpUtilsSysconfigPath = path }
        if let path = environment("KDUMP_WATCH_COROSYNC_CONF") { settings.corosyncConfigurationPath = path }
        return settings
    }
}
