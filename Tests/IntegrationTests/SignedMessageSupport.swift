import Foundation
import Glibc
import KdumpAuth
import KdumpWire

/// Signed messages for the integration tests: real bytes, signed in the test with the daemon's
/// own crypto library (the sender's Nettle path is tested through the real sender binary), with
/// each node's key in the cluster ``clusterName``, which every daemon under test is given.
struct TestCluster {
    static let key = AuthKey(bytes: Array(0..<32))!
    static let foreignKey = AuthKey(bytes: [UInt8](repeating: 0x11, count: 32))!
    /// The cluster name of the tests' daemons: set explicitly, so that a corosync.conf on the
    /// machine (Debian's default names its cluster "debian") changes nothing.
    static let clusterName = "kw-test"
    /// The key id of ``key``, as `--key-id` takes it.
    static let keyIDText = "63"

    /// The node key of `node` in a file (mode 0600) in `directory`, written by the real
    /// `kdump-watchctl keygen --node`, as the capture-kernel integration writes it.
    static func writeNodeKey(node: String, clusterKey: String, in directory: String) throws -> String {
        let path = directory + "/node-key-" + node
        let made = try run(
            Build.path("kdump-watchctl"),
            ["keygen", "--node", node, "--key", clusterKey, "--cluster-name", clusterName, "--output", path])
        guard made.status == 0 else { throw POSIXError(.EIO) }
        return path
    }

    /// A key file (mode 0600) in `directory`.
    static func writeKey(_ key: AuthKey = key, in directory: String, name: String = "authkey", mode: mode_t = 0o600)
        throws -> String
    {
        let path = directory + "/" + name
        try (key.hexText + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    static var wallClockNanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// A signed datagram; `skew` moves its timestamp away from now.
    static func message(
        node: String, phase: SignedMessage.Phase = .dumping, nonce: UInt64 = 7, sequence: UInt32,
        skew: Int64 = 0, key: AuthKey = key
    ) -> [UInt8] {
        let timestamp = UInt64(Int64(wallClockNanoseconds) + skew * 1_000_000_000)
        return MessageKeys.datagram(
            of: SignedMessage(
                phase: phase, keyID: 0, nonce: nonce, sequence: sequence, timestamp: timestamp, nodeName: node),
            clusterKey: key, clusterName: clusterName)
    }

    /// `bytes` changed by `change`, then signed again with `node`'s key: a genuine MAC over a
    /// wrong shape.
    static func resigned(
        _ bytes: [UInt8], node: String = "node-a", key: AuthKey = key, _ change: (inout [UInt8]) -> Void
    ) -> [UInt8] {
        var body = Array(bytes.dropLast(SignedMessage.macLength))
        change(&body)
        let nodeKey = KeyDerivation.nodeKey(clusterKey: key, clusterName: clusterName, node: node)
        return body + MessageKeys.mac(of: body, key: nodeKey)
    }
}
