import Glibc
import KdumpTestSupport
import KdumpWire
import Testing

@Suite struct AddressResolverTests {
    @Test func numericAddressesResolveToThemselves() throws {
        #expect(try AddressResolver.resolve("127.0.0.5") == [HostAddress("127.0.0.5")!])
        #expect(throws: AddressResolver.Failure.self) { try AddressResolver.resolve("127.0.0.5", family: .ipv6) }
    }

    @Test func localhostResolvesToEveryAddressOfTheFamily() throws {
        let all = try AddressResolver.resolve("localhost")
        #expect(all.contains(HostAddress("127.0.0.1")!))
        let v4 = try AddressResolver.resolve("localhost", family: .ipv4)
        #expect(v4.allSatisfy { $0.isIPv4 })
        #expect(!v4.isEmpty)
    }

    @Test func unknownNamesFailWithTheName() {
        #expect {
            try AddressResolver.resolve("no-such-node.invalid")
        } throws: { error in
            (error as? AddressResolver.Failure)?.description.contains("no-such-node.invalid") == true
        }
    }
}
