import Foundation
import Glibc
import KdumpWire
import Synchronization

/// UDP ports for tools that must be told which port to bind (upstream `fence_kdump`, the agent's
/// fallback listener, `systemd-socket-activate`); our daemon binds port 0 and says which it got.
///
/// No port is handed out twice in one test run: a counter walks a range below the kernel's
/// ephemeral ports (32768 and up by default, where the daemons' port-0 binds land), skipping
/// any port some other process holds. Two tests running at once can therefore never be given
/// the same port, which picking a random port, checking it and closing it allowed (upstream
/// fence_kdump answers a failed bind with a double free).
enum TestPorts {
    private static let next = Mutex(20_000 + Int(getpid() % 64) * 150)
    private static let end = 32_000

    /// A UDP port that no other test of this run was given and that was free when handed out.
    static func udp() throws -> Int {
        while true {
            let candidate = next.withLock { port -> Int? in
                guard port < end else { return nil }
                defer { port += 1 }
                return port
            }
            guard let candidate else { throw POSIXError(.EADDRINUSE) }
            if isFree(candidate) { return candidate }
        }
    }

    /// Runs `attempt` with a port from ``udp()``, and again with another one while the program
    /// under test reports that it could not bind it: the port was free when handed out, but a
    /// process outside this test run can take it before the program binds it (a clone-alone run
    /// once lost one that way). Only that one, named failure is retried.
    static func retryingBind(_ attempt: (Int) throws -> ProcessResult) throws -> ProcessResult {
        var result = try attempt(try udp())
        for _ in 0..<3 where result.stderr.contains("Address already in use") {
            result = try attempt(try udp())
        }
        return result
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return HostAddress.unspecified(ipv6: true).withSocketAddress(port: port) { bind(fd, $0, $1) } == 0
    }
}

/// Whether tests that need root can run; they are skipped with their reason otherwise.
enum Privileges {
    static let isRoot = getuid() == 0

    /// Root, and `tool` is installed.
    static func rootWith(_ tool: String) -> Bool {
        isRoot && FileManager.default.isExecutableFile(atPath: tool)
    }
}
