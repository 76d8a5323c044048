/// The readiness checks, in the order they are reported (Documentation/operators-guide.md,
/// "Readiness"); the raw values are the names `check --json` and the metrics use.
public enum ReadinessCheckName: String, CaseIterable, Sendable {
    case crashKernelLoaded = "crash_kernel_loaded"
    case captureImage = "capture_image"
    case senderInImage = "sender_in_image"
    case keyInImage = "key_in_image"
    case keyCurrent = "key_current"
    case nodeName = "node_name"
    case peersReachable = "peers_reachable"
    case networkDriver = "network_driver"
    case imageFresh = "image_fresh"
}
