import Glibc
import KdumpTestSupport
import KdumpWire
import Testing

@Suite struct HostAddressTests {
    @Test func theTextualFormIsInetNtopsForAnyAddress() {
        var generator = SeededGenerator(seed: 0x6B64_756D_7001)
        func reference(_ family: Int32, _ bytes: [UInt8]) -> String {
            var bytes = bytes
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            return String(cString: inet_ntop(family, &bytes, &buffer, socklen_t(buffer.count))!)
        }
        let fixed: [[UInt8]] = [
            [0, 0, 0, 0], [255, 255, 255, 255], [1, 2, 3, 4], [10, 0, 100, 9], [99, 100, 199, 200],
            Array(repeating: 0, count: 16), Array(repeating: 255, count: 16),
            [0xfe, 0x80] + Array(repeating: 0, count: 13) + [1],
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
        ]
        let random = (0..<500).map { index in
            (0..<(index % 2 == 0 ? 4 : 16)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        for bytes in fixed + random {
            let address = HostAddress(networkBytes: bytes)!
            if bytes.count == 4 {
                #expect(address.description == reference(AF_INET, bytes))
            } else if !address.isIPv4 {
                #expect(address.description == reference(AF_INET6, bytes))
            }
            #expect(HostAddress(address.description) == address)
        }
    }

    @Test func parsesAndPrintsIPv4() throws {
        let address = try #require(HostAddress("192.0.2.17"))
        #expect(address.isIPv4)
        #expect(address.description == "192.0.2.17")
        #expect(address.networkBytes == [192, 0, 2, 17])
    }

    @Test func parsesAndPrintsIPv6InCanonicalForm() throws {
        #expect(HostAddress("::1")?.description == "::1")
        #expect(HostAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
        #expect(HostAddress("::1")?.isIPv4 == false)
    }

    @Test func ipv4MappedAddressesBecomeIPv4() throws {
        let mapped = try #require(HostAddress("::ffff:127.0.0.2"))
        #expect(mapped.isIPv4)
        #expect(mapped == HostAddress("127.0.0.2"))
        #expect(mapped.description == "127.0.0.2")
        let bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3]
        #expect(HostAddress(networkBytes: bytes) == HostAddress("10.1.2.3"))
    }

    @Test func ipv4CompatibleAndOtherIPv6StayIPv6() {
        #expect(HostAddress("::127.0.0.1")?.isIPv4 == false)
        #expect(HostAddress("64:ff9b::1.2.3.4")?.isIPv4 == false)
    }

    @Test(arguments: ["", "node1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "fe80::1%eth0", "1.2.3.4/24", " 1.2.3.4"])
    func rejectsNonAddresses(text: String) {
        #expect(HostAddress(text) == nil)
    }

    @Test func ordersIPv4BeforeIPv6() {
        let sorted = ["::1", "127.0.0.2", "10.0.0.1", "127.0.0.1"].compactMap(HostAddress.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "127.0.0.1", "127.0.0.2", "::1"])
    }

    @Test func rangesMatchByPrefix() throws {
        let net = try #require(AddressRange("10.1.0.0/16"))
        #expect(net.contains(HostAddress("10.1.255.3")!))
        #expect(!net.contains(HostAddress("10.2.0.1")!))
        #expect(net.contains(HostAddress("::ffff:10.1.2.3")!))
        let v6 = try #require(AddressRange("fd00:1::/32"))
        #expect(v6.contains(HostAddress("fd00:1::5")!))
        #expect(!v6.contains(HostAddress("fd00:2::5")!))
        #expect(!v6.contains(HostAddress("10.1.2.3")!))
        let single = try #require(AddressRange("127.0.0.2"))
        #expect(single.contains(HostAddress("127.0.0.2")!))
        #expect(!single.contains(HostAddress("127.0.0.3")!))
        let everything = try #require(AddressRange("0.0.0.0/0"))
        #expect(everything.contains(HostAddress("203.0.113.9")!))
        #expect(!everything.contains(HostAddress("::1")!))
        let odd = try #require(AddressRange("2001:db8::/67"))
        #expect(odd.contains(HostAddress("2001:db8::1fff:ffff:ffff:ffff")!))
        #expect(!odd.contains(HostAddress("2001:db8:0:0:2000::")!))
    }

    @Test(arguments: [
        ("fe80::1", true), ("febf:ffff::1", true), ("fe80::5054:ff:fe12:3401", true), ("fec0::1", false),
        ("fe7f::1", false), ("ff02::1", false), ("::1", false), ("2001:db8::1", false), ("169.254.1.1", false),
        ("::ffff:169.254.1.1", false),
    ])
    func knowsIPv6LinkLocalAddresses(text: String, linkLocal: Bool) throws {
        #expect(try #require(HostAddress(text)).isIPv6LinkLocal == linkLocal)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "x/8", "::ffff:10.0.0.0/8", "10.0.0.0/a"])
    func rejectsBadRanges(text: String) {
        #expect(AddressRange(text) == nil)
    }
}
