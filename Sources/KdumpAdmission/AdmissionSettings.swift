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
        return AdmissionSettings(
            configuration: configuration, directory: directory,
            allow: AllowPolicy(rules: configuration.allow, directory: directory),
            authentication: Authentication(
                mode: configuration.auth, keys: try loadKeys(configuration.authKeys),
                window: configuration.authWindow),
            warnings: warnings)
    }

    /// The keys of `auth_key`, each file checked (Documentation/protocol.md §6).
    public static func loadKeys(_ paths: [String]) throws(ConfigurationError) -> MessageKeys {
        var keys: [AuthKey] = []
        for path in paths {
            do {
                keys.append(try AuthKey.load(path: path))
            } catch {
                throw ConfigurationError(origin: "auth_key", message: error.description)
            }
        }
        return MessageKeys(keys)
    }
}
