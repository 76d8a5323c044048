import KdumpWire
import Logging

/// One key of `kdump-watchd.conf(5)`, declared once: its name, the flag that sets it, the
/// placeholder and help that `kdump-watchd --help` shows, its default as the documentation
/// writes it, whether SIGHUP can change it, and how its value is read.
///
/// ``all`` drives the file parser, the command-line flags, reload and `--help`; a test checks
/// the man page against it.
public struct ConfigurationKey: Sendable {
    /// The key as the file spells it: `state_dir`.
    public let name: String
    /// What `--help` shows as the value: `path`, `duration`.
    public let valueName: String
    public let help: String
    /// The built-in default, as `--help` and the man page write it.
    public let defaultText: String
    /// Whether a reload (SIGHUP) applies a new value; the others take effect after a restart.
    public let reloadable: Bool
    private let apply: @Sendable (String, inout DaemonConfiguration) throws(ConfigurationParser.ValueError) -> Void
    private let differs: @Sendable (DaemonConfiguration, DaemonConfiguration) -> Bool
    private let copy: @Sendable (inout DaemonConfiguration, DaemonConfiguration) -> Void

    /// The flag that sets the key: `--state-dir`.
    public var flag: String { "--" + String(name.map { $0 == "_" ? "-" : $0 }) }

    /// Declares a key stored at `path`: `parse` reads a value, `describe` writes the default
    /// (or `defaultText` when the default is not a value, as for a path chosen at start).
    init<Value: Equatable & Sendable>(
        _ name: String, _ path: any WritableKeyPath<DaemonConfiguration, Value> & Sendable, valueName: String,
        help: String, reloadable: Bool, defaultText: String? = nil,
        describe: @escaping @Sendable (Value) -> String = { "\($0)" },
        parse: @escaping @Sendable (String) throws(ConfigurationParser.ValueError) -> Value
    ) {
        self.name = name
        self.valueName = valueName
        self.help = help
        self.reloadable = reloadable
        self.defaultText = defaultText ?? describe(DaemonConfiguration()[keyPath: path])
        apply = { (text, configuration) throws(ConfigurationParser.ValueError) in
            configuration[keyPath: path] = try parse(text)
        }
        differs = { $0[keyPath: path] != $1[keyPath: path] }
        copy = { $0[keyPath: path] = $1[keyPath: path] }
    }

    /// Sets the key in `configuration` from `text` (trimmed already).
    func set(_ text: String, in configuration: inout DaemonConfiguration) throws(ConfigurationParser.ValueError) {
        try apply(text, &configuration)
    }

    /// Whether `new` and `old` differ in this key.
    public func differs(_ new: DaemonConfiguration, from old: DaemonConfiguration) -> Bool { differs(new, old) }

    /// Gives `configuration` the value `source` has for this key.
    public func copy(from source: DaemonConfiguration, to configuration: inout DaemonConfiguration) {
        copy(&configuration, source)
    }

    /// The key named `name`, if there is one.
    public static func named(_ name: some StringProtocol) -> ConfigurationKey? {
        all.first { $0.name == name }
    }

    /// The key set by `flag` (`--state-dir`), if there is one.
    public static func flagged(_ flag: some StringProtocol) -> ConfigurationKey? {
        all.first { $0.flag == flag }
    }

    /// The keys that only a restart applies.
    public static var restartOnly: [ConfigurationKey] { all.filter { !$0.reloadable } }

    /// Every key, in the order the documentation lists them.
    public static let all: [ConfigurationKey] = {
        typealias Parse = ConfigurationParser
        let seconds: @Sendable (Duration) -> String = { Parse.durationText($0) }
        return [
            ConfigurationKey(
                "listen", \.listen, valueName: "addresses", help: "UDP listen addresses",
                reloadable: false, defaultText: ":: (IPv4 and IPv6)", parse: Parse.addresses),
            ConfigurationKey(
                "port", \.port, valueName: "port", help: "UDP port", reloadable: false,
                parse: { (text) throws(Parse.ValueError) in try Parse.integer(text, in: 0...65_535) }),
            ConfigurationKey(
                "control_socket", \.controlSocket, valueName: "path", help: "control socket path", reloadable: false,
                defaultText: "/run/kdump-watch/control.sock",
                parse: { (text) throws(Parse.ValueError) in try Parse.absolutePath(text, limit: 107) }),
            ConfigurationKey(
                "control_group", \.controlGroup, valueName: "group", help: "group allowed on the control socket",
                reloadable: false, defaultText: "haclient if it exists", parse: Parse.groupName),
            ConfigurationKey(
                "state_dir", \.stateDirectory, valueName: "path", help: "state directory", reloadable: false,
                defaultText: "/var/lib/kdump-watch",
                parse: { (text) throws(Parse.ValueError) in try Parse.absolutePath(text, limit: 4000) }),
            ConfigurationKey(
                "nodes", \.nodes, valueName: "nodes",
                help: "cluster nodes: 'name[=addr,addr] ...' or 'corosync[:path]'",
                reloadable: true, defaultText: "none", parse: Parse.nodes),
            ConfigurationKey(
                "allow", \.allow, valueName: "list", help: "accepted senders: addresses, CIDR blocks, 'nodes'",
                reloadable: true, defaultText: "any sender", parse: Parse.allowRules),
            ConfigurationKey(
                "finished_after", \.finishedAfter, valueName: "duration",
                help: "silence after which an episode is finished", reloadable: true, describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: false) }),
            ConfigurationKey(
                "retain", \.retain, valueName: "duration", help: "how long finished entries are kept",
                reloadable: true, describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: false) }),
            ConfigurationKey(
                "max_age", \.maxAge, valueName: "duration", help: "default max_age of waits", reloadable: true,
                describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: true) }),
            ConfigurationKey(
                "max_hosts", \.maxHosts, valueName: "n", help: "most entries in the state table", reloadable: true,
                parse: { (text) throws(Parse.ValueError) in try Parse.integer(text, in: 1...1_000_000) }),
            ConfigurationKey(
                "max_clients", \.maxClients, valueName: "n", help: "most control clients at once", reloadable: true,
                parse: { (text) throws(Parse.ValueError) in try Parse.integer(text, in: 1...100_000) }),
            ConfigurationKey(
                "client_idle_timeout", \.clientIdleTimeout, valueName: "duration",
                help: "time a control client has to send a request", reloadable: true, describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: false) }),
            ConfigurationKey(
                "rate_limit", \.rateLimit, valueName: "n",
                help: "datagrams a second accepted from one sender (0: no limit)", reloadable: true,
                parse: { (text) throws(Parse.ValueError) in try Parse.integer(text, in: 0...1_000_000) }),
            ConfigurationKey(
                "auth_key", \.authKeys, valueName: "path[,path]",
                help: "key file(s) of signed messages (two while keys rotate)", reloadable: true,
                defaultText: "none", parse: Parse.keyFiles),
            ConfigurationKey(
                "auth", \.authSetting, valueName: "mode", help: "none, optional or required", reloadable: true,
                defaultText: "required with auth_key, else none", parse: Parse.authMode),
            ConfigurationKey(
                "cluster_name", \.clusterNameSetting, valueName: "name",
                help: "the cluster's name, which node keys are bound to", reloadable: true,
                defaultText: "corosync's totem.cluster_name, else empty", parse: Parse.clusterName),
            ConfigurationKey(
                "auth_window", \.authWindow, valueName: "duration",
                help: "how far a signed message's clock may be from ours", reloadable: true, describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: false) }),
            ConfigurationKey(
                "clock_margin", \.clockMargin, valueName: "duration",
                help: "how much older than max_age a signed message's own time may be (at most auth_window)",
                reloadable: true, describe: seconds,
                parse: { (text) throws(Parse.ValueError) in try Parse.duration(text, allowZero: true) }),
            ConfigurationKey(
                "metrics_listen", \.metricsListen, valueName: "address:port",
                help: "HTTP /metrics endpoint(s), e.g. 127.0.0.1:9810", reloadable: false, defaultText: "none",
                parse: Parse.endpoints),
            ConfigurationKey(
                "log_level", \.logLevel, valueName: "level",
                help: "trace, debug, info, notice, warning, error, critical", reloadable: true,
                describe: { $0.rawValue }, parse: Parse.logLevel),
        ]
    }()
}
