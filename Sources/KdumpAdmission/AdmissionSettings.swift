import KdumpAuth
import KdumpConfiguration
import KdumpWire

/// What the admission gate and the fence decision need of a configuration: the node
/// directory, the `allow` policy and the keys, read and checked now.
///
/// The daemon builds it at start and on every reload; the fence agent's fallback listener
/// builds it from the same file, so that both admit exactly the same datagrams
/// (Documentation/design.md §7).
public struct AdmissionSettings: Sendable {
    public var configuration: DaemonConfiguration
    public var directory: NodeDirectory
    public var allow: AllowPolicy
    public var authentication: Authentication
    /// Nodes that did not resolve (kept without addresses), for the log.
    public var warnings: [String]
    /// Where the cluster name of the node keys came from (``DaemonConfiguration/clusterName()``).
    public var clusterNameOrigin: String = "cluster_name"

    public init(
        configuration: DaemonConfiguration, directory: NodeDirectory, allow: AllowPolicy,
        authentication: Authentication, warnings: [String] = []
    ) {
        self.configuration = configuration
        self.directory = directory
        self.allow = allow
        self.authentication = authentication
        self.warnings = warnings
    }

    /// Derives everything from `configuration`. Throws when a key file is refused or the node
    /// list is contradictory, so that the daemon does not start, a reload keeps the
    /// configuration in force, and the agent's fallback refuses to listen.
    public static func load(_ configuration: DaemonConfiguration) throws(ConfigurationError) -> AdmissionSettings {
        let (directory, warnings) = try NodeDirectory.load(configuration.nodes)
        let cluster = try configuration.clusterName()
        var settings = AdmissionSettings(
            configuration: configuration, directory: directory,
            allow: AllowPolicy(rules: configuration.allow, directory: directory),
            authentication: Authentication(
                mode: configuration.auth,
                keys: try loadKeys(
                    configuration.authKeys, clusterName: cluster.name, cacheCapacity: configuration.maxHosts),
                window: configuration.authWindow),
            warnings: warnings)
        settings.clusterNameOrigin = cluster.origin
        return settings
    }

    /// The keys of `auth_key`, each file checked (Documentation/protocol.md §6), for the cluster
    /// named `clusterName`.
    public static func loadKeys(_ paths: [String], clusterName: String = "", cacheCapacity: Int = 4096)
        throws(ConfigurationError) -> MessageKeys
    {
        var keys: [AuthKey] = []
        for path in paths {
            do {
                keys.append(try AuthKey.load(path: path))
            } catch {
                throw ConfigurationError(origin: "auth_key", message: error.description)
            }
        }
        return MessageKeys(keys, clusterName: clusterName, cacheCapacity: cacheCapacity)
    }
}
