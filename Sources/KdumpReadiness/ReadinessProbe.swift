import Glibc
import KdumpAuth
import KdumpConfiguration
import KdumpWire

/// Runs the readiness checks of this node (Documentation/operators-guide.md, "Readiness"):
/// would a crash now be caught, and announced in a way the cluster believes? Everything it
/// reads is read at each run; the image through its family's own tools (`ImageReader`).
public struct ReadinessProbe: Sendable {
    public var settings: ReadinessSettings

    public init(settings: ReadinessSettings) { self.settings = settings }

    /// Where the image keeps what the integration wrote (Documentation/operators-guide.md).
    static let senderPaths = ["sbin/kdump-watch-send", "usr/sbin/kdump-watch-send"]
    static let keyPath = "etc/kdump-watch/authkey"
    static let nodeNamePath = "etc/kdump-watch/node-name"

    /// Every check, as `previous` found them when nothing they read has changed since (the
    /// same fingerprint), with the crash kernel's state and the cluster's membership read anew;
    /// else all of them anew. So a daemon that checks every minute reads the image only after it
    /// changed.
    public func run(previous: ReadinessSnapshot?) async -> ReadinessSnapshot {
        let now = fingerprint()
        if let previous, previous.fingerprint == now {
            var report = previous.report
            let crash = crashKernelLoaded(imageCandidates.first { SystemFile.exists($0.path) })
            var peers: ReadinessCheck?
            if let targets = previous.imageTargets { peers = await peersReachable(targets, rebuild: targets.rebuild) }
            report.checks = report.checks.map { check in
                switch check.name {
                case .crashKernelLoaded: crash
                case .peersReachable: peers ?? check
                default: check
                }
            }
            return ReadinessSnapshot(fingerprint: now, report: report, imageTargets: previous.imageTargets)
        }
        let (report, targets) = await runAll()
        return ReadinessSnapshot(fingerprint: now, report: report, imageTargets: targets)
    }

    /// The identity of everything the checks read but the crash kernel's state: each capture
    /// image candidate's device, inode, size and modification time, and the modification time
    /// of every key, setting and integration file (-1 for a missing file).
    public func fingerprint() -> [Int64] {
        let keys =
            (try? settings.daemonConfiguration ?? DaemonConfiguration.load(path: settings.daemonConfigurationPath))?
            .authKeys ?? []
        let inputs =
            imageInputs(authKeys: keys) + [
                settings.daemonConfigurationPath ?? DaemonConfiguration.defaultPath, settings.recordedNodeNamePath,
                settings.kdumpToolsDefaultsPath, settings.kdumpUtilsSysconfigPath,
                settings.corosyncConfigurationPath,
            ]
        var values: [Int64] = []
        for candidate in imageCandidates {
            var info = stat()
            if stat(candidate.path, &info) == 0 {
                values += [
                    Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size),
                    Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                ]
            } else {
                values += [-1, -1, -1, -1]
            }
        }
        return values + inputs.map { Self.modificationTime($0) ?? -1 }
    }

    /// `--image`, else where each kdump service keeps the running kernel's image.
    private var imageCandidates: [CaptureImage] {
        settings.image.map { [$0] } ?? CaptureImage.candidates(kernelRelease: settings.kernelRelease)
    }

    /// The files the image must be newer than: the keys, the sender's settings, the sender and
    /// the integration's hooks and modules. Not kdump-watchd's configuration: what the image
    /// takes from it (the cluster's name, the node names, the keys in force) is checked by
    /// content in `key_current` and `node_name`, and a key rotation's last step edits it after
    /// the rebuild (operators-guide.md, "Signed messages").
    private func imageInputs(authKeys: [String]) -> [String] {
        authKeys + [settings.senderConfigurationPath] + settings.integrationFiles
    }

    public func run() async -> ReadinessReport { await runAll().report }

    private func runAll() async -> (report: ReadinessReport, targets: ImageTargets?) {
        let candidates = imageCandidates
        let image = candidates.first { SystemFile.exists($0.path) } ?? settings.image
        var checks = [crashKernelLoaded(image)]
        guard let image, SystemFile.exists(image.path) else {
            let missing = "no capture image at \(candidates.map(\.path).joined(separator: " or "))"
            let fix = "install and enable kdump-tools (Debian, Ubuntu) or kdump-utils (RHEL, Fedora)"
            checks.append(ReadinessCheck(.captureImage, ok: false, detail: missing, fix: fix))
            for name in ReadinessCheckName.allCases.dropFirst(2) {
                checks.append(ReadinessCheck(name, ok: false, detail: "no capture image to read", fix: fix))
            }
            return (ReadinessReport(checks: checks), nil)
        }
        checks.append(
            ReadinessCheck(.captureImage, ok: true, detail: "\(image.path) (built by \(image.builder.rawValue))"))
        let (imageChecks, targets) = await imageChecks(image)
        return (ReadinessReport(checks: checks + imageChecks), targets)
    }

    private func crashKernelLoaded(_ image: CaptureImage?) -> ReadinessCheck {
        let fix =
            image?.loadCommand
            ?? "install and enable kdump-tools or kdump-utils, with crashkernel= on the kernel's command line"
        guard let text = try? SystemFile.readText(settings.crashLoadedPath, limit: 16) else {
            return ReadinessCheck(
                .crashKernelLoaded, ok: false,
                detail: "cannot read \(settings.crashLoadedPath): this kernel cannot load a capture kernel", fix: fix)
        }
        let loaded = text.split(whereSeparator: \.isWhitespace).first == "1"
        return ReadinessCheck(
            .crashKernelLoaded, ok: loaded,
            detail: loaded
                ? "a capture kernel is loaded" : "no capture kernel is loaded (\(settings.crashLoadedPath) is 0)",
            fix: fix)
    }

    private func imageChecks(_ image: CaptureImage) async -> ([ReadinessCheck], ImageTargets?) {
        let rebuild = image.rebuildCommand(kernelRelease: settings.kernelRelease)
        let configuration: DaemonConfiguration
        do {
            configuration =
                try settings.daemonConfiguration
                ?? DaemonConfiguration.load(path: settings.daemonConfigurationPath)
        } catch {
            let problem = "kdump-watchd's configuration cannot be used: \(error)"
            let failed: [ReadinessCheckName] = [
                .senderInImage, .keyInImage, .keyCurrent, .nodeName, .peersReachable, .networkDriver, .imageFresh,
            ]
            return (
                failed.map { ReadinessCheck($0, ok: false, detail: problem, fix: "correct it, then \(rebuild)") }, nil
            )
        }
        var checks: [ReadinessCheck] = []
        let reader = ImageReader(image: image)
        let entries: [ImageEntry]
        do {
            entries = try await reader.list()
        } catch {
            let failed: [ReadinessCheckName] = [
                .senderInImage, .keyInImage, .keyCurrent, .nodeName, .peersReachable, .networkDriver,
            ]
            return (
                failed.map {
                    ReadinessCheck($0, ok: false, detail: "cannot list \(image.path): \(error)", fix: rebuild)
                }
                    + [imageFresh(image, configuration: configuration, rebuild: rebuild)], nil
            )
        }
        // With a merged /usr one of the two paths may be a link to the other: the file counts.
        // A link (copy_exec's, for a sender installed through one) counts by what it points to.
        let senders = entries.filter { Self.senderPaths.contains($0.path) }.map { entry in
            entry.resolvedLinkTarget.flatMap { target in entries.first { $0.path == target } } ?? entry
        }
        let sender = senders.first(where: \.isExecutable) ?? senders.first
        checks.append(
            ReadinessCheck(
                .senderInImage, ok: sender?.isExecutable == true,
                detail: sender.map { $0.isExecutable ? "/\($0.path)" : "/\($0.path) is not executable (\($0.mode))" }
                    ?? "the image holds no kdump-watch-send",
                fix: rebuild))
        // Read once, and only what the listing shows (a tool asked for a file the image lacks may
        // fail): for kdump-tools every read unpacks the whole image.
        let wanted =
            [Self.keyPath, Self.nodeNamePath, image.senderConfiguration, Self.networkPlanPath].filter {
                path in entries.contains { $0.path == path }
            } + entries.map(\.path).filter(Self.isCommandLineFile)
        let contents: Result<[String: String], ImageReadError>
        do {
            contents = .success(try await reader.read(wanted))
        } catch {
            contents = .failure(error)
        }
        if configuration.auth == .none {
            let unsigned = "auth = none: the messages are not signed and carry no name"
            checks += [.keyInImage, .keyCurrent, .nodeName].map { ReadinessCheck($0, ok: true, detail: unsigned) }
        } else {
            checks += await signingChecks(
                image, entries: entries, contents: contents, configuration: configuration, rebuild: rebuild)
        }
        let targets: ImageTargets?
        switch contents {
        case .success(let files):
            targets = ImageTargets(
                settings: files[image.senderConfiguration], nodeName: Self.imageNodeName(files, image: image),
                rebuild: rebuild)
            checks.append(await peersReachable(targets, rebuild: rebuild))
        case .failure(let error):
            targets = nil
            checks.append(
                ReadinessCheck(.peersReachable, ok: false, detail: "cannot read \(image.path): \(error)", fix: rebuild))
        }
        checks.append(await networkDriver(image, entries: entries, contents: contents, rebuild: rebuild))
        checks.append(imageFresh(image, configuration: configuration, rebuild: rebuild))
        return (checks, targets)
    }

    /// The node name the image signs with: its node-name file, else its settings' name.
    static func imageNodeName(_ contents: [String: String], image: CaptureImage) -> String? {
        let name =
            contents[nodeNamePath]?.split(separator: "\n").first.map(String.init)
            ?? ShellAssignments(contents[image.senderConfiguration] ?? "")["KDUMP_WATCH_NODE_NAME"]
        return name?.isEmpty == false ? name : nil
    }

    private func signingChecks(
        _ image: CaptureImage, entries: [ImageEntry], contents read: Result<[String: String], ImageReadError>,
        configuration: DaemonConfiguration, rebuild: String
    ) async -> [ReadinessCheck] {
        let keyEntry = entries.first { $0.path == Self.keyPath }
        let keyCheck = ReadinessCheck(
            .keyInImage, ok: keyEntry?.isPrivate == true,
            detail: keyEntry.map {
                $0.isPrivate ? "/\(Self.keyPath), mode 0600" : "/\(Self.keyPath) has mode \($0.mode), not -rw-------"
            }
                ?? "the image holds no node key, so its messages would be unsigned",
            fix: rebuild)
        let contents: [String: String]
        switch read {
        case .success(let files): contents = files
        case .failure(let error):
            return [keyCheck]
                + [.keyCurrent, .nodeName].map {
                    ReadinessCheck($0, ok: false, detail: "cannot read \(image.path): \(error)", fix: rebuild)
                }
        }
        let imageSettings = ShellAssignments(contents[image.senderConfiguration] ?? "")
        let imageName = Self.imageNodeName(contents, image: image)
        return [
            keyCheck,
            keyCurrent(
                contents[Self.keyPath], name: imageName, keyID: imageSettings["KDUMP_WATCH_KEY_ID"],
                configuration: configuration, rebuild: rebuild),
            await nodeName(imageName, configuration: configuration, rebuild: rebuild),
        ]
    }

    private func keyCurrent(
        _ imageKey: String?, name: String?, keyID: String?, configuration: DaemonConfiguration, rebuild: String
    ) -> ReadinessCheck {
        guard let imageKey, let name, !name.isEmpty else {
            return ReadinessCheck(
                .keyCurrent, ok: false, detail: "the image holds no node key and name to check", fix: rebuild)
        }
        var keys: [AuthKey] = []
        for path in configuration.authKeys {
            do {
                keys.append(try AuthKey.load(path: path))
            } catch {
                return ReadinessCheck(
                    .keyCurrent, ok: false, detail: "\(error)", fix: "correct \(path), then \(rebuild)")
            }
        }
        guard let cluster = try? configuration.clusterName() else {
            return ReadinessCheck(
                .keyCurrent, ok: false, detail: "the cluster's name cannot be read",
                fix: "set cluster_name in kdump-watchd.conf, then \(rebuild)")
        }
        let parsedImageKey: AuthKey
        do {
            parsedImageKey = try AuthKey.parse(Array(imageKey.utf8), path: "/\(Self.keyPath) in the image")
        } catch {
            return ReadinessCheck(.keyCurrent, ok: false, detail: "\(error)", fix: rebuild)
        }
        for key in keys
        where KeyDerivation.nodeKey(clusterKey: key, clusterName: cluster.name, node: name) == parsedImageKey {
            let expectedID = MessageKeys.keyIDText(of: key)
            guard keyID == expectedID else {
                return ReadinessCheck(
                    .keyCurrent, ok: false,
                    detail: "the image's messages would carry key id \(keyID ?? "none"), not \(expectedID)",
                    fix: rebuild)
            }
            return ReadinessCheck(
                .keyCurrent, ok: true,
                detail: "\(name)'s key under the cluster key with id \(expectedID), cluster '\(cluster.name)'")
        }
        return ReadinessCheck(
            .keyCurrent, ok: false,
            detail:
                "the image's key is not \(name)'s key under any key in auth_key (cluster '\(cluster.name)'): a key rotated without a rebuild?",
            fix: rebuild)
    }

    private func nodeName(_ imageName: String?, configuration: DaemonConfiguration, rebuild: String) async
        -> ReadinessCheck
    {
        guard let imageName, !imageName.isEmpty else {
            return ReadinessCheck(.nodeName, ok: false, detail: "the image records no node name", fix: rebuild)
        }
        let fixName = "set NODE_NAME in \(settings.senderConfigurationPath), then \(rebuild)"
        if let known = try? configuration.clusterNodeNames(), !known.names.contains(imageName) {
            return ReadinessCheck(
                .nodeName, ok: false,
                detail:
                    "the image's name '\(imageName)' is not one of the cluster's nodes in \(known.origin) (\(known.names.joined(separator: ", ")))",
                fix: fixName)
        }
        let expected = await expectedNodeName()
        guard expected.name == imageName else {
            return ReadinessCheck(
                .nodeName, ok: false,
                detail: "the image's name is '\(imageName)', this node's is '\(expected.name)' (\(expected.origin))",
                fix: fixName)
        }
        return ReadinessCheck(.nodeName, ok: true, detail: "'\(imageName)' (\(expected.origin))")
    }

    /// This node's name as the integration chooses it when it builds the image
    /// (`kdump_watch_node_name` in kdump-watch-nodes.sh): NODE_NAME, the recorded name,
    /// Pacemaker's, the node of corosync.conf's nodelist with one of this machine's names or
    /// addresses, `uname -n`.
    func expectedNodeName() async -> (name: String, origin: String) {
        let text = (try? SystemFile.readText(settings.senderConfigurationPath, limit: 1 << 16)) ?? ""
        if let name = ShellAssignments(text)["NODE_NAME"], !name.isEmpty {
            return (name, "NODE_NAME in \(settings.senderConfigurationPath)")
        }
        if let recorded = try? SystemFile.readText(settings.recordedNodeNamePath, limit: 256),
            let name = recorded.split(separator: "\n").first.map(String.init), !name.isEmpty
        {
            return (name, settings.recordedNodeNamePath)
        }
        if settings.asksPacemaker, let name = try? await ImageReader.run("timeout", ["10", "crm_node", "-n"]),
            let first = name.split(separator: "\n").first, !first.isEmpty
        {
            return (String(first), "crm_node -n")
        }
        var system = utsname()
        uname(&system)
        let host = withUnsafeBytes(of: system.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let cluster = try? CorosyncConfiguration.load(settings.corosyncConfigurationPath), !cluster.nodes.isEmpty {
            var locals: Set<String> = [host, String(host.prefix { $0 != "." })]
            locals.formUnion(await NetworkInterface.addresses([]).map(\.address.description))
            if let node = cluster.nodes.first(where: { node in
                ([node.name] + node.addresses).contains(where: locals.contains)
            }) {
                return (node.name, "the nodelist of \(settings.corosyncConfigurationPath)")
            }
        }
        return (host, "uname -n")
    }

    private func imageFresh(_ image: CaptureImage, configuration: DaemonConfiguration, rebuild: String)
        -> ReadinessCheck
    {
        guard let built = Self.modificationTime(image.path) else {
            return ReadinessCheck(.imageFresh, ok: false, detail: "cannot stat \(image.path)", fix: rebuild)
        }
        let newer = imageInputs(authKeys: configuration.authKeys).compactMap { path in
            Self.modificationTime(path).map { (path, $0) }
        }.filter { $0.1 > built }
        guard let newest = newer.max(by: { $0.1 < $1.1 }) else {
            return ReadinessCheck(
                .imageFresh, ok: true, detail: "newer than the key, the settings, the sender and the hooks")
        }
        return ReadinessCheck(
            .imageFresh, ok: false,
            detail: "\(image.path) is older than \(newest.0)\(newer.count > 1 ? " and \(newer.count - 1) more" : "")",
            fix: rebuild)
    }

    /// Nanoseconds since 1970 of the file's last change; nil when it does not exist.
    static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
