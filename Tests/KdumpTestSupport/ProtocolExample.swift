/// The version 2 example of Documentation/protocol.md §4 (node-a of the cluster "example",
/// cluster key 00 01 … 1f), which the codec's, the keys' and the sender's tests all check. The
/// node key and the MAC were computed independently with Python's `hmac` module.
public enum ProtocolExample {
    public static let hex =
        "1b302a40000000020263000001020304050607080000000718ed6e065d028000066e6f64652d61"
        + "209553cd82332a87bbe6976235ae755a7e4173c4f9efe0349b2a5fc82383f7ac"
    /// The cluster's name the node key is bound to.
    public static let clusterName = "example"
    /// K_N of node-a: HKDF-SHA256(K, info "kdump-watch v2 node key" 0x00 "example" 0x00 "node-a").
    public static let nodeKeyHex = "889ad03f4e76c0768571b4f4998b4692a0a49a643e68e7ccc9b3a673f2792ef3"

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
