import Crypto
import KdumpWire
import Synchronization

/// Where keys come from (Documentation/protocol.md §6): random ones for `kdump-watchctl keygen`,
/// and the one every node of a Pacemaker cluster derives from the cluster's own authkey, so that
/// no key has to be copied.
public enum KeyDerivation {
    /// What HKDF's `info` says, so that the derived key is used for nothing else.
    public static let pacemakerInfo = Array("kdump-watch v2 message key".utf8)

    /// K = HKDF-SHA256(IKM = the whole authkey file, salt = empty, info = ``pacemakerInfo``, 32 bytes).
    public static func fromPacemakerKey(_ authkey: some Collection<UInt8>) -> AuthKey {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(authkey)), salt: [UInt8](), info: pacemakerInfo,
            outputByteCount: AuthKey.length)
        return AuthKey(bytes: derived.withUnsafeBytes { Array($0) })!
    }

    /// What HKDF's `info` starts with for a node key.
    public static let nodeInfo = Array("kdump-watch v2 node key".utf8)

    /// K_N = HKDF-SHA256(IKM = K, salt = empty, info = ``nodeInfo`` ‖ 0x00 ‖ C ‖ 0x00 ‖ N, 32
    /// bytes): the key that signs messages naming node N of the cluster named C. A capture image
    /// holds K_N only, so a leaked image speaks for its own node and no other, and two clusters
    /// that share K but not their name never confirm each other's nodes.
    public static func nodeKey(clusterKey: AuthKey, clusterName: String, node: String) -> AuthKey {
        let info = nodeInfo + [0] + Array(clusterName.utf8) + [0] + Array(node.utf8)
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: clusterKey.bytes), salt: [UInt8](), info: info,
            outputByteCount: AuthKey.length)
        return AuthKey(bytes: derived.withUnsafeBytes { Array($0) })!
    }

    /// A new random key, from the system's generator (`getrandom(2)`) through swift-crypto.
    public static func random() -> AuthKey {
        AuthKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })!
    }
}
