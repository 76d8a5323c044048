/// Why the daemon could not start, in one line for the administrator.
public struct DaemonFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
