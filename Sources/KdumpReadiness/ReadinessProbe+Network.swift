import KdumpConfiguration

extension ReadinessProbe {
    /// Where the initramfs-tools hook records what the capture kernel brings up
    /// (`MAC ADDRESS/PREFIX GATEWAY MODULE` a line; Documentation/operators-guide.md).
    static let networkPlanPath = "conf/kdump-watch-network"

    /// Where a dracut image keeps command-line options of its own (`ip=`: ours in
    /// 95kdump-watch.conf, kdumpbase's for fence_kdump_nodes).
    static func isCommandLineFile(_ path: String) -> Bool {
        path.hasPrefix("etc/cmdline.d/") && path.hasSuffix(".conf")
    }

    /// `network_driver`: the image holds the driver of every interface that reaches the nodes
    /// its settings name (or, with none, of every interface with an IPv4 address), and — as
    /// neither kdump-tools' nor kdump-utils' image has a network of its own — something gives
    /// them an address: the hook's recorded plan (kdump-tools), `ip=` in the image's own
    /// command line (kdump-utils), or `ip=` on the capture kernel's command line.
    func networkDriver(
        _ image: CaptureImage, entries: [ImageEntry], contents read: Result<[String: String], ImageReadError>,
        rebuild: String
    ) async -> ReadinessCheck {
        let contents: [String: String]
        switch read {
        case .success(let files): contents = files
        case .failure(let error):
            return ReadinessCheck(
                .networkDriver, ok: false, detail: "cannot read \(image.path): \(error)", fix: rebuild)
        }
        let peers = (ShellAssignments(contents[image.senderConfiguration] ?? "")["KDUMP_WATCH_NODES"] ?? "")
            .split(separator: " ").map(String.init)
        let reaching = peers.isEmpty ? "has an IPv4 address" : "reaches \(peers.joined(separator: " "))"
        let interfaces = await NetworkInterface.reaching(peers)
        guard !interfaces.isEmpty else {
            return ReadinessCheck(
                .networkDriver, ok: false, detail: "no interface of this node \(reaching)",
                fix: "give the interface that reaches the nodes its address, then \(rebuild)")
        }
        let modules = Set(entries.compactMap { Self.moduleName(ofImagePath: $0.path) })
        var drivers: [String] = []
        for interface in interfaces {
            switch interface.driver {
            case .software(let kind):
                return ReadinessCheck(
                    .networkDriver, ok: false,
                    detail:
                        "the nodes are reached through \(interface.name), a \(kind), which the capture initramfs does not bring up",
                    fix: image.builder == .kdumpTools
                        ? "add ip= for a plain interface that reaches the nodes to KDUMP_CMDLINE_APPEND in \(settings.kdumpToolsDefaultsPath), then \(rebuild)"
                        : "reach the nodes through a plain interface, then \(rebuild)")
            case .module(let name) where !modules.contains(Self.normalizedModuleName(name)):
                return ReadinessCheck(
                    .networkDriver, ok: false,
                    detail: "the image lacks \(name), the driver of \(interface.name), which \(reaching)", fix: rebuild)
            case .module(let name): drivers.append("\(interface.name) (\(name))")
            case .builtIn: drivers.append("\(interface.name) (built into the kernel)")
            }
        }
        if image.builder == .kdumpUtils,
            let ownCommandLine = contents.keys.filter(Self.isCommandLineFile).sorted().first(where: { path in
                (contents[path] ?? "").split(whereSeparator: \.isWhitespace).contains { $0.hasPrefix("ip=") }
            })
        {
            return ReadinessCheck(
                .networkDriver, ok: true,
                detail:
                    "\(drivers.joined(separator: ", ")); ip= in the image's /\(ownCommandLine) configures the network")
        }
        let recordedPlan = (contents[Self.networkPlanPath] ?? "").contains(where: { !$0.isWhitespace })
        if image.builder == .kdumpUtils || (image.builder == .kdumpTools && !recordedPlan) {
            // Nothing in the image gives the interfaces an address: the capture kernel's command
            // line, from the builder's settings, must.
            let (path, variable) =
                image.builder == .kdumpTools
                ? (settings.kdumpToolsDefaultsPath, "KDUMP_CMDLINE_APPEND")
                : (settings.kdumpUtilsSysconfigPath, "KDUMP_COMMANDLINE_APPEND")
            let assignments = ShellAssignments((try? SystemFile.readText(path, limit: 1 << 16)) ?? "")
            guard (" " + (assignments[variable] ?? "")).contains(" ip=") else {
                return ReadinessCheck(
                    .networkDriver, ok: false,
                    detail:
                        "nothing gives \(interfaces.map(\.name).joined(separator: ", ")) an address in the capture kernel",
                    fix: "add ip= to \(variable) in \(path), or \(rebuild)")
            }
            return ReadinessCheck(
                .networkDriver, ok: true,
                detail: "\(drivers.joined(separator: ", ")); ip= in \(variable) configures the network")
        }
        return ReadinessCheck(.networkDriver, ok: true, detail: drivers.joined(separator: ", "))
    }

    /// The module a path of the image holds (`…/virtio_net.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`).
    static func moduleName(ofImagePath path: String) -> String? {
        guard let file = path.split(separator: "/").last else { return nil }
        for suffix in [".ko", ".ko.xz", ".ko.zst", ".ko.gz"] where file.hasSuffix(suffix) {
            return normalizedModuleName(String(file.dropLast(suffix.count)))
        }
        return nil
    }

    /// The kernel treats `-` and `_` in module names as the same.
    static func normalizedModuleName(_ name: String) -> String {
        String(name.map { $0 == "-" ? "_" : $0 })
    }
}
