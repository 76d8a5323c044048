#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

/// The node name a signed message carries: `--node-name`, else the name the capture-kernel
/// integration recorded when it built the initramfs, else `uname -n` (the capture kernel's own
/// host name may differ from the cluster's name for the node, hence the recorded one first).
public enum SenderIdentity {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func nodeName(
        _ options: SenderOptions, recordedAt path: String = SenderOptions.recordedNodeNamePath
    ) throws(Failure) -> String {
        if let name = options.nodeName { return name }
        if let recorded = readFirstLine(path) {
            guard SignedMessage.isValidNodeName(recorded) else {
                throw Failure(description: "\(path) holds '\(recorded)', which is not a node name; give --node-name")
            }
            return recorded
        }
        var system = utsname()
        uname(&system)
        let name = withUnsafeBytes(of: system.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        // A fully qualified host name: the cluster knows the node by its first label.
        let short = String(decoding: name.utf8.prefix { $0 != UInt8(ascii: ".") }, as: UTF8.self)
        guard SignedMessage.isValidNodeName(short) else {
            throw Failure(description: "the host name '\(name)' is not a node name; give --node-name")
        }
        return short
    }

    private static func readFirstLine(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let line = buffer[..<count].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        return String(decoding: line, as: UTF8.self)
    }
}
