#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpCommandLine
    import KdumpWire
#endif

/// One option of `kdump-watch-send`: upstream `fence_kdump_send`'s, then protocol 2's. The
/// parser switches over these rather than over option names, so that no string is compared
/// with `==` (see `hasSameUTF8(as:)`).
enum SenderFlag: Int, CaseIterable {
    case ipport, family, count, interval, verbose, version, help
    case key, keyID, nodeName, phase, broadcast, alsoV1

    var option: GetoptOption {
        switch self {
        case .ipport: .ipport
        case .family: .family
        case .count: GetoptOption(long: "count", short: "c", takesValue: true)
        case .interval: GetoptOption(long: "interval", short: "i", takesValue: true)
        case .verbose: .verbose
        case .version: .version
        case .help: .help
        case .key: GetoptOption(long: "key", takesValue: true)
        case .keyID: GetoptOption(long: "key-id", takesValue: true)
        case .nodeName: GetoptOption(long: "node-name", takesValue: true)
        case .phase: GetoptOption(long: "phase", takesValue: true)
        case .broadcast: GetoptOption(long: "broadcast", takesValue: false)
        case .alsoV1: GetoptOption(long: "also-v1", takesValue: false)
        }
    }

    /// Every flag's option, in `allCases`' order: built once, as the parser compares each
    /// option's long name against the names it reports.
    static let options = allCases.map { $0.option }

    /// The option whose long name the parser reported.
    init?(long: String) {
        // The raw values count the cases from 0 in `allCases`' order: an option's place is its flag's.
        guard let place = Self.options.firstIndex(where: { $0.long.hasSameUTF8(as: long) }) else { return nil }
        self.init(rawValue: place)
    }
}
