import KdumpState
import KdumpWire
import Logging

/// Everything `kdump-watchd` can be told, in `kdump-watchd.conf(5)` or by command-line flags.
///
/// Every key of the file is also a flag (`state_dir` ↔ `--state-dir`); flags win over the file.
/// Values are checked once, by ``ConfigurationParser``, whichever way they come, and each key is
/// declared once, in ``ConfigurationKey/all``. The defaults are the values below.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Addresses to bind the UDP socket to; empty means one dual-stack socket on `::`
    /// (or `0.0.0.0` where IPv6 is disabled).
    public var listen: [HostAddress] = []
    /// The UDP port; 0 picks a free port (for tests; `health` tells which).
    public var port: Int = KdumpDatagram.defaultPort
    /// The control socket's path; nil means the default for this user (`ControlSocketPath`).
    public var controlSocket: String?
    /// The group allowed on the control socket; nil means `haclient` if that group exists.
    public var controlGroup: String?
    /// Where the state file lives; nil means `/var/lib/kdump-watch`, or a per-user fallback.
    public var stateDirectory: String?
    /// The cluster's nodes, to name senders and resolve wait targets.
    public var nodes: NodesSetting = .list([])
    /// Which senders are accepted; empty accepts any.
    public var allow: [AllowRule] = []
    public var finishedAfter: Duration = .seconds(30)
    public var retain: Duration = .seconds(86_400)
    /// Default `max_age` of waits that do not give one.
    public var maxAge: Duration = .seconds(30)
    public var maxHosts: Int = 4096
    public var maxClients: Int = 128
    /// Datagrams a second accepted from one sender (bursts of twice that); 0 turns it off.
    public var rateLimit: Int = 100
    /// How long a control client may take to send a complete request.
    public var clientIdleTimeout: Duration = .seconds(30)
    public var logLevel: Logger.Level = .info
    /// Key files of protocol version 2: one, or two while keys rotate.
    public var authKeys: [String] = []
    /// As set; nil means the default, which depends on ``authKeys`` (see ``auth``).
    public var authSetting: AuthMode?
    /// The cluster's name, which node keys are bound to; nil means corosync's
    /// `totem.cluster_name` (``clusterName()``).
    public var clusterNameSetting: String?
    /// How far a signed message's timestamp may be from the daemon's wall clock.
    public var authWindow: Duration = .seconds(120)
    /// How much older than `max_age` a signed message's own timestamp may be and still confirm
    /// a wait: the clocks' difference the freshness rule allows (at most `auth_window`).
    public var clockMargin: Duration = .seconds(5)
    /// Where the HTTP `/metrics` endpoint listens; empty (the default) means nowhere.
    public var metricsListen: [ListenEndpoint] = []

    public init() {}

    /// Which messages change the table: `required` when a key is set and `auth` is not, else `none`.
    public var auth: AuthMode { authSetting ?? (authKeys.isEmpty ? .none : .required) }

    /// The table settings this configuration asks for.
    public var tableSettings: TableSettings {
        TableSettings(finishedAfter: finishedAfter, retain: retain, maxHosts: maxHosts)
    }
}
