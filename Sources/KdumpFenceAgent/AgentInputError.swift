import KdumpCommandLine
import KdumpWire

/// One reason the agent's input was not accepted; the message names the option or key.
public struct AgentInputError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    /// The message is kept to one line: it quotes stdin or the command line.
    public init(_ message: String) { self.message = message.oneLineMessage }
    public var description: String { message }
}
