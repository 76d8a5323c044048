#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpWire
#endif

/// Why a command line could not be parsed; the message quotes the offending option.
public struct GetoptError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    /// The message is kept to one line: it quotes the command line.
    public init(_ message: String) { self.message = message.oneLineMessage }
    public var description: String { message }
}
