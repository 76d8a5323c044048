extension GetoptOption {
    // The options upstream's fence_kdump and fence_kdump_send share, declared once: the fence
    // agent's option table and the sender's command line both take their spelling from here, so
    // the two commands cannot drift apart (kdump-watch-send(8), fence_kdump_watch(8)).

    /// `-p, --ipport=PORT`: the UDP port of the messages.
    public static let ipport = GetoptOption(long: "ipport", short: "p", takesValue: true)
    /// `-f, --family=FAMILY`: `auto`, `ipv4` or `ipv6`.
    public static let family = GetoptOption(long: "family", short: "f", takesValue: true)
    /// `-v, --verbose`.
    public static let verbose = GetoptOption(long: "verbose", short: "v", takesValue: false)
    /// `-V, --version`.
    public static let version = GetoptOption(long: "version", short: "V", takesValue: false)
    /// `-h, --help`.
    public static let help = GetoptOption(long: "help", short: "h", takesValue: false)
}
