/// The version 2 example of Documentation/protocol.md §4 (node-a, key 00 01 … 1f), which the
/// codec's, the keys' and the sender's tests all check.
public enum ProtocolExample {
    public static let hex =
        "1b302a40000000020263000001020304050607080000000718ed6e065d028000066e6f64652d61"
        + "b8d748c3a99ac8a4c41545e10c9964d0357d1d46bf059f6394ddc5fb2a418c81"

    /// The datagram's bytes.
    public static var datagram: [UInt8] { bytes(hex) }

    /// Bytes written as hexadecimal digits, two a byte.
    public static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
        }
    }
}
