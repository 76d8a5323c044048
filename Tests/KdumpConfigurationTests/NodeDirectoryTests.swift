import KdumpTestSupport
import KdumpWire
import Logging
import Testing

@testable import KdumpConfiguration

@Suite struct NodeDirectoryTests {
    @Test func explicitAddressesAndResolvedNames() throws {
        let (directory, warnings) = try NodeDirectory.load(
            .list([
                NodeSpec(name: "n1", addresses: [HostAddress("10.0.0.1")!, HostAddress("fd00::1")!]),
                NodeSpec(name: "localhost", addresses: []),
                NodeSpec(name: "ghost.invalid", addresses: []),
            ]))
        #expect(directory.addressesByName["n1"] == [HostAddress("10.0.0.1")!, HostAddress("fd00::1")!])
        #expect(directory.nameByAddress[HostAddress("fd00::1")!] == "n1")
        #expect(directory.addressesByName["localhost"]?.contains(HostAddress("127.0.0.1")!) == true)
        #expect(warnings.count == 1 && warnings[0].contains("ghost.invalid"))
    }

    @Test func readsTheCorosyncNodelist() throws {
        let folder = try makeTemporaryDirectory()
        defer { removeDirectory(folder) }
        let path = folder + "/corosync.conf"
        let text = """
            totem {
                version: 2
                cluster_name: test
            }
            nodelist {
                node {
                    ring0_addr: 10.1.0.1
                    ring1_addr: fd00:1::1
                    name: alpha
                    nodeid: 1
                }
                node {
                    ring0_addr: 10.1.0.2
                    nodeid: 2
                }
            }
            quorum { provider: corosync_votequorum }
            """
        try writeFile(path, text)
        let (directory, warnings) = try NodeDirectory.load(.corosync(path: path))
        #expect(warnings.isEmpty)
        #expect(directory.addressesByName["alpha"] == [HostAddress("10.1.0.1")!, HostAddress("fd00:1::1")!])
        #expect(directory.addressesByName["10.1.0.2"] == [HostAddress("10.1.0.2")!])
        #expect(try CorosyncConfiguration.load(path).clusterName == "test")
    }

    @Test func aMissingCorosyncFileIsAnError() {
        #expect(throws: ConfigurationError.self) {
            try NodeDirectory.load(.corosync(path: "/nonexistent/corosync.conf"))
        }
    }

    @Test func allowPolicies() throws {
        let (directory, _) = try NodeDirectory.load(
            .list([NodeSpec(name: "n1", addresses: [HostAddress("192.0.2.7")!])]))
        let open = AllowPolicy(rules: [], directory: directory)
        #expect(open.acceptsAny && open.admits(HostAddress("203.0.113.1")!))
        let nodesOnly = AllowPolicy(rules: [.nodes], directory: directory)
        #expect(nodesOnly.admits(HostAddress("192.0.2.7")!))
        #expect(!nodesOnly.admits(HostAddress("192.0.2.8")!))
        let ranges = AllowPolicy(rules: [.range(AddressRange("10.0.0.0/8")!)], directory: directory)
        #expect(ranges.admits(HostAddress("10.200.0.1")!))
        #expect(!ranges.admits(HostAddress("192.0.2.7")!))
    }
}

/// `nodes` must give each address to one node (Documentation/design.md §7), and corosync's
/// cluster name is read for the node keys.
@Suite struct NodeDirectoryConsistencyTests {
    @Test func oneAddressForTwoNodesIsAnErrorNamingBoth() {
        #expect {
            try NodeDirectory.load(
                .list([
                    NodeSpec(name: "alpha", addresses: [HostAddress("10.0.0.1")!]),
                    NodeSpec(name: "beta", addresses: [HostAddress("10.0.0.2")!, HostAddress("10.0.0.1")!]),
                ]))
        } throws: { error in
            "\(error)"
                == "nodes: address 10.0.0.1 belongs to two nodes, 'alpha' and 'beta': give each node its own addresses"
        }
        // The same name twice is one node.
        #expect(
            (try? NodeDirectory.load(
                .list([
                    NodeSpec(name: "alpha", addresses: [HostAddress("10.0.0.1")!]),
                    NodeSpec(name: "alpha", addresses: [HostAddress("10.0.0.1")!]),
                ]))) != nil)
    }

    @Test func twoNodesResolvingToOneAddressAreAnError() {
        #expect(throws: ConfigurationError.self) {
            try NodeDirectory.load(
                .list([NodeSpec(name: "localhost", addresses: []), NodeSpec(name: "127.0.0.1", addresses: [])]))
        }
    }

    @Test func clockMarginIsAtMostTheAuthWindow() throws {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationParser.parse(
                fileText: "auth_window = 10s\nclock_margin = 11s\n", fileName: "k.conf", overrides: [])
        }
        let configuration = try ConfigurationParser.parse(
            fileText: "clock_margin = 0\n", fileName: "k.conf", overrides: [])
        #expect(configuration.clockMargin == .zero)
    }
}
