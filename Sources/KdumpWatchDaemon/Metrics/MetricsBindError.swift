import Glibc
import KdumpConfiguration
import NIOCore

/// A `metrics_listen` endpoint that could not be bound.
struct MetricsBindError: Error, CustomStringConvertible {
    let endpoint: ListenEndpoint
    let error: any Error

    var description: String {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            return "cannot bind metrics_listen \(endpoint): address already in use"
        }
        return "cannot bind metrics_listen \(endpoint): \(error)"
    }
}
