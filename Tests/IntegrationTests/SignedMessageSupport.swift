import Foundation
import Glibc
import KdumpAuth
import KdumpWire

/// Signed messages for the integration tests: real bytes, signed in the test with the daemon's
/// own crypto library (the sender's Nettle path is tested through the real sender binary).
struct TestCluster {
    static let key = AuthKey(bytes: Array(0..<32))!
    static let foreignKey = AuthKey(bytes: [UInt8](repeating: 0x11, count: 32))!

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
            key: key)
    }

    /// `bytes` changed by `change`, then signed again: a genuine MAC over a wrong shape.
    static func resigned(_ bytes: [UInt8], key: AuthKey = key, _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var body = Array(bytes.dropLast(SignedMessage.macLength))
        change(&body)
        return body + MessageKeys.mac(of: body, key: key)
    }
}
