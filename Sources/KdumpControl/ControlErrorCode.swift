import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The error codes of the control protocol.
public enum ControlErrorCode: String, Codable, Sendable {
    /// The request line is malformed: not JSON, a bad field, a missing argument.
    case badRequest = "bad_request"
    case unsupportedVersion = "unsupported_version"
    /// The request line exceeds the daemon's limit; the connection is closed.
    case requestTooLarge = "request_too_large"
    /// A target name does not resolve.
    case unresolvable
    /// The peer is neither root nor in the control group.
    case permissionDenied = "permission_denied"
    /// The daemon serves `max_clients` connections already.
    case tooManyClients = "too_many_clients"
    /// No complete request within the idle limit; the connection is closed.
    case idleTimeout = "idle_timeout"
    /// The daemon is shutting down.
    case shuttingDown = "shutting_down"
    case internalError = "internal_error"
}
