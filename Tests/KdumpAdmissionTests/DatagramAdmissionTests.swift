import KdumpConfiguration
import KdumpWire
import Testing

@testable import KdumpAdmission

@Suite struct DatagramAdmissionTests {
    let member = HostAddress("10.0.0.1")!
    let stranger = HostAddress("192.0.2.9")!
    let valid = KdumpDatagram.littleEndianV1

    func gate(allow: [AllowRule], rateLimit: Int = 100) -> DatagramAdmission {
        DatagramAdmission(
            policy: AllowPolicy(rules: allow, directory: NodeDirectory()), rateLimit: rateLimit)
    }

    @Test func aValidMessageFromAnAdmittedSenderIsAccepted() {
        var admission = gate(allow: [.range(AddressRange("10.0.0.0/8")!)])
        #expect(admission.admit(valid, from: member, at: 0) == .accepted)
    }

    @Test func theBytesDecideLast() {
        var admission = gate(allow: [])
        #expect(admission.admit(valid.prefix(7), from: member, at: 0) == .rejected(.short))
        #expect(admission.admit(valid + [0], from: member, at: 0) == .rejected(.long))
        #expect(admission.admit([0, 0, 0, 0, 1, 0, 0, 0], from: member, at: 0) == .rejected(.badMagic))
        #expect(admission.admit([0x40, 0x2A, 0x30, 0x1B, 2, 0, 0, 0], from: member, at: 0) == .rejected(.badVersion))
    }

    @Test func allowDecidesBeforeTheRateLimitAndTheBytes() {
        var admission = gate(allow: [.range(AddressRange("10.0.0.0/8")!)], rateLimit: 1)
        for _ in 0..<10 {
            #expect(admission.admit([1, 2, 3], from: stranger, at: 0) == .rejected(.notAllowed))
            #expect(admission.admit(valid, from: stranger, at: 0) == .rejected(.notAllowed))
        }
    }

    @Test func aLinkLocalSenderOutsideAllowIsRefusedWithTheBroadcastCopyNamed() throws {
        var admission = gate(allow: [.range(AddressRange("10.0.0.0/8")!)])
        let linkLocal = try #require(HostAddress("fe80::5054:ff:fe12:3401"))
        let global = try #require(HostAddress("2001:db8::1"))
        #expect(
            admission.admit(valid, from: linkLocal, at: 0)
                == .rejected(.notAllowed, detail: DatagramAdmission.linkLocalSource))
        #expect(admission.admit(valid, from: global, at: 0) == .rejected(.notAllowed))
        #expect(admission.admit(valid, from: stranger, at: 0) == .rejected(.notAllowed))
        var open = gate(allow: [])
        #expect(open.admit(valid, from: linkLocal, at: 0) == .accepted)
    }

    @Test func theRateLimitDecidesBeforeTheBytes() {
        var admission = gate(allow: [], rateLimit: 1)
        // A burst of twice the rate passes, then even garbage is counted as rate limited.
        #expect(admission.admit(valid, from: member, at: 0) == .accepted)
        #expect(admission.admit([1], from: member, at: 0) == .rejected(.short))
        #expect(admission.admit([1], from: member, at: 0) == .rejected(.rateLimited))
        #expect(admission.admit(valid, from: member, at: 0) == .rejected(.rateLimited))
    }

    @Test func newSettingsApplyAndKeepTheBucketsOfAnUnchangedRate() {
        var admission = gate(allow: [], rateLimit: 1)
        _ = admission.admit(valid, from: member, at: 0)
        _ = admission.admit(valid, from: member, at: 0)
        let closed = AllowPolicy(
            rules: [.range(AddressRange("192.0.2.0/24")!)], directory: NodeDirectory())
        admission.update(policy: closed, rateLimit: 1, authentication: .none)
        #expect(admission.admit(valid, from: member, at: 0) == .rejected(.notAllowed))
        admission.update(
            policy: AllowPolicy(rules: [], directory: NodeDirectory()), rateLimit: 1, authentication: .none)
        #expect(admission.admit(valid, from: member, at: 0) == .rejected(.rateLimited))
        admission.update(
            policy: AllowPolicy(rules: [], directory: NodeDirectory()), rateLimit: 5, authentication: .none)
        #expect(admission.admit(valid, from: member, at: 0) == .accepted)
    }
}
