import ArgumentParser
import Glibc
import KdumpAuth
import KdumpConfiguration
import KdumpWire

/// `kdump-watchctl keygen`: writes the cluster key that signs protocol version 2 messages
/// (Documentation/protocol.md §6), random or derived from Pacemaker's authkey; with `--node`,
/// the node key of one node, which is all its capture image holds.
struct Keygen: ParsableCommand {
    static let defaultOutput = "/etc/kdump-watch/authkey"
    static let defaultNodeOutput = "/etc/kdump-watch/node-key"
    static let defaultPacemakerKey = "/etc/pacemaker/authkey"

    static let configuration = CommandConfiguration(
        abstract: "Write the cluster key that signs kdump messages (protocol version 2), or a node's key.",
        discussion: """
            Without --from-pacemaker the key is random: copy the file to every node. With it, every \
            node derives the same key from Pacemaker's authkey (HKDF-SHA256), so nothing needs copying. \
            With --node, the node key of that node is derived from the cluster key (--key) and the \
            cluster's name: the key its capture initramfs signs with, and no other node's. \
            --key-id prints the key id of the cluster key, which a node key's messages carry. \
            Files are written with mode 0600; an existing one is kept unless --force is given. \
            '--output -' prints the key instead.
            """)

    @Option(
        help: ArgumentHelp(
            "Where to write the key (default: \(Self.defaultOutput), with --node \(Self.defaultNodeOutput)).",
            valueName: "file"))
    var output: String?
    @Flag(
        name: .customLong("from-pacemaker"),
        help: "Derive the key from Pacemaker's authkey instead of choosing a random one.")
    var fromPacemaker = false
    @Option(help: ArgumentHelp("Write the node key of this node (its name in the cluster).", valueName: "name"))
    var node: String?
    @Option(
        name: .customLong("cluster-name"),
        help: ArgumentHelp(
            "With --node: the cluster's name (default: kdump-watchd's cluster_name, else corosync's totem.cluster_name, else empty).",
            valueName: "name"))
    var clusterName: String?
    @Option(
        help: ArgumentHelp(
            "With --node or --key-id: the cluster key file (default: \(Self.defaultOutput)).", valueName: "file"))
    var key: String?
    @Option(
        help: ArgumentHelp(
            "With --node: kdump-watchd's configuration, for its cluster_name and its nodes, which must include the node (default: \(DaemonConfiguration.defaultPath)).",
            valueName: "file"))
    var config: String?
    @Flag(name: .customLong("key-id"), help: "Print the key id of the cluster key (--key) and write nothing.")
    var printKeyID = false
    @Flag(help: "Replace an existing key file.") var force = false
    @Argument(
        help: ArgumentHelp(
            "With --from-pacemaker: the Pacemaker key (default: \(Self.defaultPacemakerKey)).", valueName: "path"))
    var pacemakerKey: String?

    func validate() throws {
        if pacemakerKey != nil && !fromPacemaker {
            throw ValidationError("a key path is read only with --from-pacemaker")
        }
        if (node != nil || printKeyID) && fromPacemaker {
            throw ValidationError("--node and --key-id read the cluster key (--key); --from-pacemaker makes one")
        }
        if node != nil && printKeyID { throw ValidationError("--node and --key-id are separate uses") }
        if node == nil && (clusterName != nil || config != nil) {
            throw ValidationError("--cluster-name and --config apply to --node")
        }
        if node == nil && !printKeyID && key != nil { throw ValidationError("--key applies to --node and --key-id") }
        if let node, !SignedMessage.isValidNodeName(node) {
            throw ValidationError("'\(node)' is not a node name (1 to 64 of A-Z a-z 0-9 . _ -)")
        }
        if let clusterName {
            _ = try ConfigurationParser.parse(
                fileText: nil, fileName: "--cluster-name", overrides: [("cluster_name", clusterName)])
        }
    }

    func run() throws {
        if printKeyID {
            print(MessageKeys.keyIDText(of: try clusterKey()))
            return
        }
        if let node {
            try writeNodeKey(node)
            return
        }
        let key: AuthKey
        if fromPacemaker {
            let path = pacemakerKey ?? Self.defaultPacemakerKey
            let contents: [UInt8]
            do {
                contents = try KeyFiles.readAll(path, limit: 1 << 16)
            } catch {
                throw Failure(status: .negative, message: "kdump-watchctl: cannot read \(path): \(error)")
            }
            guard !contents.isEmpty else {
                throw Failure(status: .negative, message: "kdump-watchctl: \(path) is empty")
            }
            key = KeyDerivation.fromPacemakerKey(contents)
        } else {
            key = KeyDerivation.random()
        }
        let output = output ?? Self.defaultOutput
        guard try write(key, to: output) else { return }
        let next = fromPacemaker ? "run the same command on every node" : "copy it to every node (mode 0600)"
        print(
            "wrote key id \(MessageKeys.keyIDText(of: key)) to \(output); \(next), then set auth_key = \(output)")
    }

    /// K_N for `node`: the key its capture image holds (Documentation/protocol.md §6).
    /// A name the cluster does not know is refused: its messages would name no node the daemons
    /// know, and a dumping node would be power-fenced (a capture image built with it, too).
    private func writeNodeKey(_ node: String) throws {
        let clusterKey = try clusterKey()
        let daemonConfiguration: DaemonConfiguration
        let known: (names: [String], origin: String)?
        do {
            daemonConfiguration = try DaemonConfiguration.load(path: config)
            known = try daemonConfiguration.clusterNodeNames()
        } catch {
            throw Failure(status: .negative, message: "kdump-watchctl: \(error)")
        }
        if let known, !known.names.contains(node) {
            throw Failure(
                status: .negative,
                message:
                    "kdump-watchctl: '\(node)' is not one of the cluster's nodes in \(known.origin) (\(known.names.joined(separator: ", "))); give the node's name as the cluster knows it"
            )
        }
        let cluster: (name: String, origin: String)
        if let clusterName {
            cluster = (clusterName, "--cluster-name")
        } else {
            do {
                cluster = try daemonConfiguration.clusterName()
            } catch {
                throw Failure(
                    status: .negative,
                    message: "kdump-watchctl: cannot tell the cluster's name (\(error)); give --cluster-name")
            }
        }
        let nodeKey = KeyDerivation.nodeKey(clusterKey: clusterKey, clusterName: cluster.name, node: node)
        let output = output ?? Self.defaultNodeOutput
        guard try write(nodeKey, to: output) else { return }
        print(
            "wrote the node key of \(node) (cluster '\(cluster.name)', from \(cluster.origin); key id \(MessageKeys.keyIDText(of: clusterKey))) to \(output)"
        )
    }

    private func clusterKey() throws -> AuthKey {
        do {
            return try AuthKey.load(path: key ?? Self.defaultOutput)
        } catch {
            throw Failure(status: .negative, message: "kdump-watchctl: \(error)")
        }
    }

    /// Writes `key` to `output` (mode 0600), or prints it for `-`; false when it printed.
    private func write(_ key: AuthKey, to output: String) throws -> Bool {
        if output == "-" {
            print(key.hexText)
            return false
        }
        do {
            try KeyFiles.write(key.hexText + "\n", to: output, replacing: force)
        } catch {
            throw Failure(status: .negative, message: "kdump-watchctl: cannot write \(output): \(error)")
        }
        return true
    }
}
