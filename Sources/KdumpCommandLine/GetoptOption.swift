import KdumpWire

/// A command-line option in the style of `getopt_long(3)`.
public struct GetoptOption: Sendable {
    public var long: String
    public var short: Character?
    public var takesValue: Bool

    public init(long: String, short: Character? = nil, takesValue: Bool) {
        self.long = long
        self.short = short
        self.takesValue = takesValue
    }
}
