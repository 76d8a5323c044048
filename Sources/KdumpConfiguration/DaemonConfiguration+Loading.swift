extension DaemonConfiguration {
    /// Where `kdump-watchd` and the fence agent's fallback listener look for the configuration
    /// when no `--config` names another file.
    public static let defaultPath = "/etc/kdump-watch/kdump-watchd.conf"

    /// The configuration as `kdump-watchd` would run with it: the file at `path` (nil means
    /// ``defaultPath``, which may be absent: built-in defaults), then `overrides` (flags).
    ///
    /// A file named explicitly must exist; any file that exists must be readable. The daemon
    /// and the fence agent's fallback listener both load it here, so that they can never
    /// disagree about what a file says (Documentation/design.md §7).
    public static func load(path: String?, overrides: [(key: String, value: String)] = []) throws(ConfigurationError)
        -> DaemonConfiguration
    {
        let file = path ?? defaultPath
        var text: String?
        if path != nil || SystemFile.exists(file) {
            do {
                text = try SystemFile.readText(file, limit: 1 << 20)
            } catch {
                throw ConfigurationError(origin: file, message: "cannot read configuration: \(error)")
            }
        }
        return try ConfigurationParser.parse(fileText: text, fileName: file, overrides: overrides)
    }
}

extension DaemonConfiguration {
    /// The cluster name that node keys are bound to (Documentation/protocol.md §6), and where it
    /// came from: `cluster_name` when set; else `totem.cluster_name` of the corosync
    /// configuration (the one `nodes = corosync:PATH` names, else the default path) when that
    /// file exists; else empty. `kdump-watchctl keygen --node` asks the same function, so that
    /// a capture image and the daemons agree.
    /// The names of the cluster's nodes as `nodes` gives them (its list, or corosync's nodelist),
    /// and where they come from; nil when `nodes` names none. Nothing is resolved.
    public func clusterNodeNames() throws(ConfigurationError) -> (names: [String], origin: String)? {
        switch nodes {
        case .list(let specs): specs.isEmpty ? nil : (specs.map(\.name), "nodes")
        case .corosync(let path): (try CorosyncConfiguration.load(path).nodes.map(\.name), path)
        }
    }

    public func clusterName() throws(ConfigurationError) -> (name: String, origin: String) {
        if let clusterNameSetting { return (clusterNameSetting, "cluster_name") }
        let path =
            if case .corosync(let path) = nodes { path } else { NodesSetting.defaultCorosyncPath }
        guard SystemFile.exists(path) else { return ("", "no cluster_name and no \(path)") }
        return (try CorosyncConfiguration.load(path).clusterName ?? "", path)
    }
}
