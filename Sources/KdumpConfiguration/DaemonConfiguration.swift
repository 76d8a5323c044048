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

/// An address and a TCP port to listen on, as `metrics_listen` gives them: `127.0.0.1:9810`,
/// `[::1]:9810`; port 0 picks a free one (tests; `health` tells which).
public struct ListenEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: HostAddress
    public var port: Int

    public init(address: HostAddress, port: Int) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:9810` or `[::1]:9810`.
    public var description: String { endpointText(address.description, port: port) }
}

/// The `auth` setting (Documentation/design.md §7): which protocol versions change the table.
public enum AuthMode: String, Sendable, Equatable, CaseIterable {
    /// Version 1 as it always was; signed messages are not read (they count `long`).
    case none
    /// Version 1 as before, and signed messages verified; status shows which hosts signed.
    case optional
    /// Only verified signed messages; version 1 counts `unauthenticated` and never confirms.
    case required
}

/// The `nodes` setting: an explicit list, or the nodelist of a corosync configuration.
public enum NodesSetting: Sendable, Equatable {
    case list([NodeSpec])
    /// `corosync` (the default path) or `corosync:PATH`.
    case corosync(path: String)

    public static let defaultCorosyncPath = "/etc/corosync/corosync.conf"
}

/// One node of the `nodes` setting: a name, and its addresses when given (`name=addr,addr`);
/// without addresses the name is resolved.
public struct NodeSpec: Sendable, Equatable {
    public var name: String
    public var addresses: [HostAddress]

    public init(name: String, addresses: [HostAddress]) {
        self.name = name
        self.addresses = addresses
    }
}

/// One entry of the `allow` setting.
public enum AllowRule: Sendable, Equatable, CustomStringConvertible {
    case range(AddressRange)
    /// Every address of every configured node.
    case nodes

    public var description: String {
        switch self {
        case .range(let range): range.description
        case .nodes: "nodes"
        }
    }
}

/// A configuration value that was rejected, with where it came from.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `FILE:LINE` or `--flag`.
    public var origin: String
    public var message: String

    /// The message is kept to one line: it quotes the configuration.
    public init(origin: String, message: String) {
        self.origin = origin
        self.message = message.oneLineMessage
    }

    public var description: String { "\(origin): \(message)" }
}
