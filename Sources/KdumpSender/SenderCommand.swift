import KdumpCommandLine
import KdumpWire

/// What the command line asks for.
public enum SenderCommand: Equatable, Sendable {
    case send(SenderOptions)
    case help
    case version
}
