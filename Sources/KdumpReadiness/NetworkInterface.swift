import Glibc
import KdumpWire

/// An interface this node reaches its peers through, and what its driver is, found as the
/// capture-kernel hooks find it when they build the image (`kdump_watch_interfaces` in
/// kdump-watch-nodes.sh): the route to each peer address, or, with no peer list, every interface
/// that is up with a global IPv4 address (the broadcast case).
struct NetworkInterface: Sendable, Equatable {
    /// What the capture kernel needs to drive the interface.
    enum Driver: Sendable, Equatable {
        /// A loadable module, by its name (`virtio_net`): the image must hold it.
        case module(String)
        /// Built into the kernel: nothing to carry.
        case builtIn
        /// A bond, VLAN, bridge or other software interface, which a capture initramfs does not
        /// bring up (Documentation/operators-guide.md, "Debian and Ubuntu").
        case software(kind: String)
    }

    var name: String
    var driver: Driver

    /// The interfaces that reach `peers` (names or addresses), in the order first found; a peer
    /// that does not resolve or has no route adds nothing.
    static func reaching(_ peers: [String], sysfs: String = "/sys/class/net") async -> [NetworkInterface] {
        var names: [String] = []
        if peers.isEmpty {
            names = await addresses(["scope", "global", "up"]).filter(\.address.isIPv4).map(\.interface)
        } else {
            for peer in peers { names += await routeDevices(to: peer) }
        }
        var seen: Set<String> = []
        return names.filter { $0 != "lo" && seen.insert($0).inserted }.map {
            NetworkInterface(name: $0, driver: driver(of: $0, sysfs: sysfs))
        }
    }

    /// The addresses `ip -o addr show FILTER` lists, each with its interface and prefix length.
    static func addresses(_ filter: [String]) async -> [(interface: String, address: HostAddress, prefix: Int)] {
        let output = (try? await ImageReader.run("ip", ["-o", "addr", "show"] + filter)) ?? ""
        return output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard let inet = words.firstIndex(where: { $0 == "inet" || $0 == "inet6" }), inet + 1 < words.endIndex,
                inet >= 1
            else { return nil }
            let parts = words[inet + 1].split(separator: "/")
            guard parts.count == 2, let address = HostAddress(String(parts[0])), let prefix = Int(parts[1]) else {
                return nil
            }
            return (String(words[inet - 1]), address, prefix)
        }
    }

    /// The interfaces (`lo` included) of the routes to every address `peer` resolves to.
    static func routeDevices(to peer: String) async -> [String] {
        var devices: [String] = []
        let resolved = (try? await ImageReader.run("getent", ["ahosts", peer])) ?? ""
        // getent lists each address once per socket type.
        var seen: Set<Substring> = []
        for address in resolved.split(separator: "\n").compactMap({ $0.split(separator: " ").first })
        where seen.insert(address).inserted {
            let route = (try? await ImageReader.run("ip", ["-o", "route", "get", String(address)])) ?? ""
            let words = route.split(separator: " ")
            if let dev = words.firstIndex(of: "dev"), dev + 1 < words.endIndex {
                devices.append(String(words[dev + 1]))
            }
        }
        return devices
    }

    private static func driver(of name: String, sysfs: String) -> Driver {
        let directory = "\(sysfs)/\(name)"
        guard access(directory + "/device", F_OK) == 0 else {
            if access(directory + "/bonding", F_OK) == 0 { return .software(kind: "bond") }
            if access(directory + "/bridge", F_OK) == 0 { return .software(kind: "bridge") }
            if access("/proc/net/vlan/\(name)", F_OK) == 0 { return .software(kind: "VLAN") }
            return .software(kind: "software interface")
        }
        guard let resolved = realpath(directory + "/device/driver/module", nil) else { return .builtIn }
        defer { free(resolved) }
        let path = String(cString: resolved)
        return .module(String(path.split(separator: "/").last ?? Substring(path)))
    }
}
