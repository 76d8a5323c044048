import FoundationEssentials
import Glibc

/// Why a client could not get an answer.
public enum ControlClientError: Error, CustomStringConvertible, Sendable {
    /// No daemon listens at the path, or it may not be used (permissions).
    case unreachable(path: String, reason: String)
    /// The daemon answered with a protocol error.
    case daemon(ControlError)
    /// The connection broke or the answer was not understood.
    case protocolFailure(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach kdump-watchd at \(path): \(reason)"
        case .daemon(let error): "kdump-watchd: \(error.message)"
        case .protocolFailure(let reason): "kdump-watchd: \(reason)"
        }
    }
}
