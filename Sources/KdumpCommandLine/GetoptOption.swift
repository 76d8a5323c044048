#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpWire
#endif

/// A command-line option in the style of `getopt_long(3)`.
public struct GetoptOption: Sendable {
    public var long: String
    /// The one-letter spelling (`p` for `-p`): a scalar rather than a Character, because the
    /// parser compares scalars (grapheme breaking would need Unicode tables in the embedded sender).
    public var short: Unicode.Scalar?
    public var takesValue: Bool

    public init(long: String, short: Unicode.Scalar? = nil, takesValue: Bool) {
        self.long = long
        self.short = short
        self.takesValue = takesValue
    }
}
