import KdumpCommandLine
import KdumpWire

/// The outcome of reading the command line or stdin.
public struct AgentInvocation: Sendable, Equatable {
    public var options = AgentOptions()
    /// `-h/--help` or `-V/--version` was given: print and exit 0.
    public var printHelp = false
    public var printVersion = false
    /// Keys on stdin that this agent does not know. `validate-all` fails on them; `off` and
    /// `monitor` only warn, so a fence never fails over a key the agent does not know.
    public var unknownKeys: [String] = []
}
