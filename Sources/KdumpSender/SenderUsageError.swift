#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpCommandLine
    import KdumpWire
#endif

/// A usage error; like upstream, the sender prints it with the usage text and exits 1.
public struct SenderUsageError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    /// The message is kept to one line: it quotes the command line.
    public init(_ message: String) { self.message = message.oneLineMessage }
    public var description: String { message }
}
