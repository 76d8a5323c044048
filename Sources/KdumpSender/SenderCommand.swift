#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpCommandLine
    import KdumpWire
#endif

/// What the command line asks for.
public enum SenderCommand: Equatable, Sendable {
    case send(SenderOptions)
    case help
    case version
}
