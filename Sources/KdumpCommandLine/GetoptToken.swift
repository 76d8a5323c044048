#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpWire
#endif

/// One element of a parsed command line.
public enum GetoptToken: Equatable, Sendable {
    /// An option by its long name, with its value, and as it was spelled (`-n`, `--nodename`).
    case option(String, value: String?, spelled: String)
    /// A non-option argument.
    case operand(String)
}
