import KdumpAdmission
import KdumpConfiguration
import KdumpState
import KdumpWire
import Testing

/// Which table entries confirm a fence target under each `auth` mode (Documentation/design.md
/// §7): the rule the daemon's waits and the agent's fallback listener share.
@Suite struct TargetKeysTests {
    let directory: NodeDirectory = {
        try! NodeDirectory.load(
            .list([
                NodeSpec(name: "node-a", addresses: [HostAddress("10.0.0.1")!]),
                NodeSpec(name: "node-b", addresses: [HostAddress("10.0.0.2")!]),
            ])
        ).directory
    }()
    let nodeA = HostAddress("10.0.0.1")!

    func keys(_ target: String, _ mode: AuthMode, _ addresses: [HostAddress]) throws -> Set<HostKey> {
        try TargetKeys.confirming(target, mode: mode, directory: directory, addresses: .success(addresses))
    }

    @Test func underNoneOnlyTheAddressesConfirm() throws {
        #expect(try keys("node-a", .none, [nodeA]) == [.address(nodeA)])
        #expect(throws: TargetKeys.Failure.self) {
            try TargetKeys.confirming(
                "ghost", mode: .none, directory: directory,
                addresses: .failure(AddressResolver.Failure(name: "ghost", reason: "unknown")))
        }
    }

    @Test func underOptionalAddressesAndTheirNodesConfirm() throws {
        #expect(try keys("node-a", .optional, [nodeA]) == [.address(nodeA), .node("node-a")])
        #expect(try keys("10.0.0.1", .optional, [nodeA]) == [.address(nodeA), .node("node-a")])
        let unresolved = try TargetKeys.confirming(
            "node-z", mode: .optional, directory: directory,
            addresses: .failure(AddressResolver.Failure(name: "node-z", reason: "unknown")))
        #expect(unresolved == [.node("node-z")], "a node name need not resolve")
    }

    @Test func underRequiredOnlySignedEntriesConfirmAndAnAddressOnlyThroughNodes() throws {
        #expect(TargetKeys.needsAddresses("node-a", mode: .required) == false)
        #expect(try keys("node-a", .required, []) == [.node("node-a")])
        #expect(try keys("10.0.0.2", .required, []) == [.node("node-b")])
        #expect {
            try keys("10.0.0.9", .required, [])
        } throws: { error in
            "\(error)".hasPrefix("'10.0.0.9' is the address of no node in 'nodes'")
        }
        #expect(throws: TargetKeys.Failure.self) { try keys("bad name!", .required, []) }
    }

    @Test func knownAddressesNeedNoResolver() throws {
        #expect(try TargetKeys.knownAddresses(of: "node-a", family: .auto, directory: directory)?.get() == [nodeA])
        #expect(
            try TargetKeys.knownAddresses(of: "10.0.0.9", family: .ipv4, directory: directory)?.get() == [
                HostAddress("10.0.0.9")!
            ])
        #expect(throws: AddressResolver.Failure.self) {
            try TargetKeys.knownAddresses(of: "10.0.0.9", family: .ipv6, directory: directory)?.get()
        }
        #expect(TargetKeys.knownAddresses(of: "node-a", family: .ipv6, directory: directory) == nil)
        #expect(TargetKeys.knownAddresses(of: "elsewhere", family: .auto, directory: directory) == nil)
    }
}
