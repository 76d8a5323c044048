import KdumpConfiguration
import KdumpWire

extension ReadinessProbe {
    /// `peers_reachable`: a node of the image's list, or — when the image broadcasts — a node on
    /// the link of one of this node's interfaces, is a current member of the cluster other than
    /// this node, and this node has a route to it. The members are Pacemaker's partition
    /// (`crm_node -p`) when Pacemaker answers, else every node kdump-watchd.conf's `nodes`
    /// names; their addresses are the ones `nodes` gives, else their names resolved. Run at every
    /// check, since membership changes while the image does not.
    func peersReachable(_ targets: ImageTargets?, rebuild: String) async -> ReadinessCheck {
        let fixList = "set NODES in \(settings.senderConfigurationPath) to the cluster's other nodes, then \(rebuild)"
        guard let targets else {
            return ReadinessCheck(
                .peersReachable, ok: false, detail: "the image records no node to announce to", fix: rebuild)
        }
        guard !targets.nodes.isEmpty || targets.broadcast else {
            return ReadinessCheck(
                .peersReachable, ok: false, detail: "the image names no node and does not broadcast", fix: fixList)
        }
        let cluster: ClusterMembers
        switch await currentMembers(excluding: targets.nodeName) {
        case .success(let members): cluster = members
        case .failure(let problem):
            return ReadinessCheck(
                .peersReachable, ok: false, detail: problem.message,
                fix: "start the cluster on this node, or set nodes in kdump-watchd.conf")
        }
        guard !cluster.members.isEmpty else {
            return ReadinessCheck(
                .peersReachable, ok: false,
                detail: "no current member of the cluster but this node (\(cluster.origin)) would hear it",
                fix: "start the cluster on the other nodes")
        }
        var reached: [String] = []
        var unrouted: [String] = []
        for node in targets.nodes {
            let addresses = (try? AddressResolver.resolve(node)) ?? []
            guard let member = cluster.members.first(where: { !Set($0.addresses).isDisjoint(with: addresses) }) else {
                continue
            }
            if await NetworkInterface.routeDevices(to: node).isEmpty {
                unrouted.append("\(member.name) (\(node))")
            } else {
                reached.append("\(member.name) (\(node))")
            }
        }
        if targets.broadcast {
            // The links the broadcast reaches: 255.255.255.255 and each subnet's broadcast
            // address for IPv4, ff02::1 on each interface for IPv6.
            let links = await NetworkInterface.addresses(["scope", "global", "up"])
            for member in cluster.members where !reached.contains(where: { $0.hasPrefix(member.name + " ") }) {
                if let link = links.first(where: { link in
                    member.addresses.contains { $0.sharesPrefix(link.prefix, with: link.address) }
                }) {
                    reached.append("\(member.name) (broadcast on \(link.interface))")
                }
            }
        }
        if !reached.isEmpty {
            return ReadinessCheck(
                .peersReachable, ok: true, detail: "\(reached.joined(separator: ", ")); \(cluster.origin)")
        }
        let members = cluster.members.map { member in
            "\(member.name) \(member.addresses.map(\.description).joined(separator: ","))"
        }.joined(separator: ", ")
        if !unrouted.isEmpty {
            return ReadinessCheck(
                .peersReachable, ok: false,
                detail: "this node has no route to \(unrouted.joined(separator: ", ")), the members the image names",
                fix: "give the interface that reaches them its address and route, then \(rebuild)")
        }
        let sent =
            [
                targets.nodes.isEmpty ? nil : targets.nodes.joined(separator: " "),
                targets.broadcast ? "every broadcast address" : nil,
            ].compactMap { $0 }.joined(separator: " and ")
        return ReadinessCheck(
            .peersReachable, ok: false,
            detail:
                "the image announces to \(sent), which reaches no current member but this node (\(members); \(cluster.origin))",
            fix: fixList)
    }

    /// What the image sends to, as its build recorded it (the image's kdump-watch-send.conf).
    struct ImageTargets: Sendable, Equatable {
        /// The addresses (or names) of `KDUMP_WATCH_NODES`.
        var nodes: [String]
        /// Signed messages also go to every broadcast address (`KDUMP_WATCH_BROADCAST`).
        var broadcast: Bool
        /// The node name the image signs with, to leave out of the members.
        var nodeName: String?
        /// The command that rebuilds the image: the fix when the image's list is wrong.
        var rebuild: String

        init?(settings text: String?, nodeName: String?, rebuild: String) {
            guard let text else { return nil }
            let settings = ShellAssignments(text)
            nodes = (settings["KDUMP_WATCH_NODES"] ?? "").split(separator: " ").map(String.init)
            broadcast = settings["KDUMP_WATCH_BROADCAST"] == "yes" && !(settings["KDUMP_WATCH_KEY"] ?? "").isEmpty
            self.nodeName = nodeName
            self.rebuild = rebuild
        }
    }

    /// The cluster's current members but this node, and where that list comes from.
    struct ClusterMembers {
        var members: [(name: String, addresses: [HostAddress])]
        var origin: String
    }

    /// Why the members are not known.
    struct MembershipProblem: Error {
        var message: String
    }

    private func currentMembers(excluding imageName: String?) async -> Result<ClusterMembers, MembershipProblem> {
        let configuration: DaemonConfiguration
        do {
            configuration =
                try settings.daemonConfiguration ?? DaemonConfiguration.load(path: settings.daemonConfigurationPath)
        } catch {
            return .failure(MembershipProblem(message: "kdump-watchd's configuration cannot be used: \(error)"))
        }
        var configured: [(name: String, addresses: [HostAddress])] = []
        var configuredOrigin = "kdump-watchd.conf's nodes"
        switch configuration.nodes {
        case .list(let specs) where specs.isEmpty: break
        case .list, .corosync:
            do {
                let directory = try NodeDirectory.load(configuration.nodes).directory
                configured = directory.addressesByName.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                if case .corosync(let path) = configuration.nodes { configuredOrigin = "the nodes of \(path)" }
            } catch {
                return .failure(MembershipProblem(message: "the cluster's nodes cannot be read: \(error)"))
            }
        }
        var this = imageName
        if this == nil { this = await expectedNodeName().name }
        var members: [(name: String, addresses: [HostAddress])]
        let origin: String
        if settings.asksPacemaker, let partition = try? await ImageReader.run("timeout", ["10", "crm_node", "-p"]),
            case let names = partition.split(whereSeparator: \.isWhitespace).map(String.init), !names.isEmpty
        {
            members = names.map { name in
                (name, configured.first { $0.name == name }?.addresses ?? ((try? AddressResolver.resolve(name)) ?? []))
            }
            origin = "members from Pacemaker's partition (crm_node -p)"
        } else if !configured.isEmpty {
            members = configured
            origin = "members from \(configuredOrigin), as Pacemaker does not answer crm_node -p"
        } else {
            return .failure(
                MembershipProblem(
                    message:
                        "the cluster's members are unknown: Pacemaker does not answer crm_node -p, and kdump-watchd.conf sets no nodes"
                ))
        }
        members.removeAll { $0.name == this }
        return .success(ClusterMembers(members: members, origin: origin))
    }
}
