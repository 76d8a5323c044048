import Foundation
import Glibc
import Testing

/// A reload resolves node names, which can hang for as long as the resolver's timeout; it
/// runs on NIO's blocking pool, so the fence waits go on (Documentation/design.md §7, "local
/// user"). The daemon runs in a mount namespace of its own whose resolver asks a name server
/// that never answers.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReloadResolverTests {
    @Test(.enabled(if: Privileges.rootWith("/usr/bin/unshare"), "needs root and unshare"))
    func aReloadWhoseResolverHangsDoesNotDelayAWait() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The silent name server: it hears the query, which says the reload is in the resolver.
        let server = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(server) }
        let bound = withInternetSocketAddress("127.0.9.53", port: 53) { bind(server, $0, $1) }
        try #require(bound == 0, "cannot bind 127.0.9.53:53: \(String(cString: strerror(errno)))")
        let resolv = directory.path + "/resolv.conf"
        let nsswitch = directory.path + "/nsswitch.conf"
        try "nameserver 127.0.9.53\noptions timeout:5 attempts:1\n".write(
            toFile: resolv, atomically: false, encoding: .utf8)
        try "hosts: dns\n".write(toFile: nsswitch, atomically: false, encoding: .utf8)
        let cpus = directory.path + "/online"
        try "0\n".write(toFile: cpus, atomically: false, encoding: .utf8)
        let config = directory.path + "/kdump-watchd.conf"
        try "nodes = alpha=127.0.0.2\n".write(toFile: config, atomically: false, encoding: .utf8)
        // One CPU as glibc counts them (/sys/devices/system/cpu/online): the Swift runtime's
        // global executor then has one thread, which a resolver call on it would hold for the
        // whole timeout, as on a one-vCPU node.
        let daemon = try DaemonUnderTest(
            ["--config", config], directory: directory.path,
            launcher: [
                "/usr/bin/unshare", "-m", "/bin/sh", "-c",
                "mount --bind \"$0\" /etc/resolv.conf && mount --bind \"$1\" /etc/nsswitch.conf && mount --bind \"$2\" /sys/devices/system/cpu/online && shift 2 && exec \"$@\"",
                resolv, nsswitch, cpus,
            ])
        defer { daemon.remove() }
        try UDP.send(UDP.valid, from: "127.0.0.2", port: daemon.port)
        #expect(try eventually { try daemon.host("127.0.0.2") != nil })

        try "nodes = alpha=127.0.0.2 ghost.invalid\n".write(toFile: config, atomically: false, encoding: .utf8)
        daemon.signal(SIGHUP)
        var poller = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
        try #require(poll(&poller, 1, 20_000) == 1, "the reload never asked the name server")
        let wait = try daemon.ctl(["wait", "alpha", "--timeout", "3"])
        #expect(wait.status == 0, "\(wait)")
        #expect(!daemon.log().contains("configuration reloaded"), "the reload was still in the resolver")
        #expect(eventually(30) { daemon.log().contains("configuration reloaded") }, "\(daemon.log())")
        #expect(daemon.log().contains("node 'ghost.invalid': cannot resolve"))
    }
}
