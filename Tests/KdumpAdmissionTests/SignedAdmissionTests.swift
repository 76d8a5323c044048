import KdumpAuth
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire
import Testing

@testable import KdumpAdmission

/// The admission gate with protocol version 2 (Documentation/design.md §4 and §7): the `auth`
/// modes, the order of the checks, and the replay rule shared by every socket.
@Suite struct SignedAdmissionTests {
    let key = AuthKey(bytes: Array(0..<32))!
    let source = HostAddress("10.0.0.1")!
    let now = WallClockTime(nanosecondsSinceEpoch: 1_796_212_800_000_000_000)

    func gate(_ mode: AuthMode, keys: [AuthKey]? = nil, rateLimit: Int = 0, replay: ReplayRecords? = nil)
        -> DatagramAdmission
    {
        DatagramAdmission(
            policy: AllowPolicy(rules: [], directory: NodeDirectory()), rateLimit: rateLimit,
            authentication: Authentication(
                mode: mode, keys: MessageKeys(keys ?? [key], clusterName: "test"), window: .seconds(120)),
            replay: replay ?? ReplayRecords(capacity: 16))
    }

    func message(
        node: String = "node-a", phase: SignedMessage.Phase = .dumping, nonce: UInt64 = 1, sequence: UInt32 = 1,
        offset: Duration = .zero, key: AuthKey? = nil
    ) -> [UInt8] {
        let timestamp = UInt64(now.nanosecondsSinceEpoch + offset.nanosecondsClamped)
        return MessageKeys.datagram(
            of: SignedMessage(
                phase: phase, keyID: 0, nonce: nonce, sequence: sequence, timestamp: timestamp, nodeName: node),
            clusterKey: key ?? self.key, clusterName: "test")
    }

    @Test func requiredAcceptsOnlyVerifiedSignedMessages() {
        var admission = gate(.required)
        #expect(
            admission.admit(message(), from: source, at: 0, wallClock: now)
                == .signed(DatagramBatch.Signed(node: "node-a", phase: .dumping, source: source, sentAt: now)))
        #expect(
            admission.admit(KdumpDatagram.littleEndianV1, from: source, at: 0, wallClock: now)
                == .rejected(.unauthenticated))
        #expect(admission.admit([1, 2, 3], from: source, at: 0, wallClock: now) == .rejected(.short))
    }

    @Test func optionalAcceptsBothVersions() {
        var admission = gate(.optional)
        #expect(admission.admit(KdumpDatagram.littleEndianV1, from: source, at: 0, wallClock: now) == .accepted)
        guard case .signed = admission.admit(message(), from: source, at: 0, wallClock: now) else {
            Issue.record("not accepted")
            return
        }
    }

    @Test func noneReadsVersionOneOnlyAndCountsSignedMessagesLong() {
        var admission = gate(.none, keys: [])
        #expect(admission.admit(message(), from: source, at: 0, wallClock: now) == .rejected(.long))
        #expect(admission.admit(KdumpDatagram.littleEndianV1, from: source, at: 0, wallClock: now) == .accepted)
    }

    @Test func forgedAndForeignMessagesAreRefusedByKeyIDAndMAC() {
        var admission = gate(.required)
        let foreign = AuthKey(bytes: [UInt8](repeating: 0x11, count: 32))!
        #expect(admission.admit(message(key: foreign), from: source, at: 0, wallClock: now) == .rejected(.unknownKey))
        var forged = message()
        forged[forged.count - 1] ^= 0xFF
        #expect(admission.admit(forged, from: source, at: 0, wallClock: now) == .rejected(.badMAC))
        var flagged = message()
        flagged[11] = 1
        #expect(admission.admit(flagged, from: source, at: 0, wallClock: now) == .rejected(.malformed))
    }

    @Test func aClockOutsideTheWindowIsRefusedAndTheLogSaysByHowMuch() {
        var admission = gate(.required)
        #expect(
            admission.admit(message(offset: .seconds(3600)), from: source, at: 0, wallClock: now)
                == .rejected(
                    .clockSkew,
                    detail: "node node-a's clock is 3600 s ahead of this node's (auth_window 120 s)"))
        #expect(
            admission.admit(message(sequence: 2, offset: .seconds(-121)), from: source, at: 0, wallClock: now)
                == .rejected(.clockSkew, detail: "node node-a's clock is 121 s behind this node's (auth_window 120 s)"))
        guard
            case .signed = admission.admit(
                message(sequence: 3, offset: .seconds(119)), from: source, at: 0, wallClock: now)
        else {
            Issue.record("inside the window, refused")
            return
        }
    }

    @Test func replaysAreRefusedAcrossSockets() {
        let shared = ReplayRecords(capacity: 16)
        var first = gate(.required, replay: shared)
        var second = gate(.required, replay: shared)
        let datagram = message(sequence: 5)
        guard case .signed = first.admit(datagram, from: source, at: 0, wallClock: now) else {
            Issue.record("not accepted")
            return
        }
        #expect(
            second.admit(datagram, from: HostAddress("10.0.0.9")!, at: 0, wallClock: now)
                == .rejected(.replayed, detail: "node node-a, sequence 5"))
        #expect(
            first.admit(message(sequence: 4), from: source, at: 0, wallClock: now)
                == .rejected(.replayed, detail: "node node-a, sequence 4"))
        #expect(shared.snapshot["node-a"]?.sequence == 5)
    }

    @Test func aForgedFloodNeverTouchesTheReplayRecords() {
        let shared = ReplayRecords(capacity: 16)
        var admission = gate(.required, replay: shared)
        var forged = message(sequence: 1000)
        forged[forged.count - 1] ^= 0xFF
        for _ in 0..<100 { _ = admission.admit(forged, from: source, at: 0, wallClock: now) }
        #expect(shared.snapshot.isEmpty)
        guard case .signed = admission.admit(message(sequence: 1), from: source, at: 0, wallClock: now) else {
            Issue.record("the genuine message was refused after the flood")
            return
        }
    }

    static func isSigned(_ verdict: DatagramAdmission.Verdict) -> Bool {
        if case .signed = verdict { true } else { false }
    }

    @Test func allowStillComesFirst() {
        var admission = DatagramAdmission(
            policy: AllowPolicy(rules: [.range(AddressRange("192.0.2.0/24")!)], directory: NodeDirectory()),
            rateLimit: 0,
            authentication: Authentication(mode: .required, keys: MessageKeys([key]), window: .seconds(120)))
        #expect(admission.admit(message(), from: source, at: 0, wallClock: now) == .rejected(.notAllowed))
    }

    /// An off-path spoofer floods junk "from" a capture kernel's address: the bucket empties,
    /// the junk is refused as rate_limited, and every genuine signed message still gets through
    /// (Documentation/design.md §4).
    @Test func forgedTrafficFromAnAddressNeverStarvesItsGenuineSignedMessages() {
        var admission = gate(.required, rateLimit: 1)
        var forged = message(sequence: 999)
        forged[forged.count - 1] ^= 0xFF
        #expect(admission.admit(forged, from: source, at: 0, wallClock: now) == .rejected(.badMAC))
        #expect(
            admission.admit(KdumpDatagram.littleEndianV1, from: source, at: 0, wallClock: now)
                == .rejected(.unauthenticated))
        for junk in [forged, KdumpDatagram.littleEndianV1, [1, 2, 3]] {
            #expect(admission.admit(junk, from: source, at: 0, wallClock: now) == .rejected(.rateLimited))
        }
        for sequence in 1...50 {
            let genuine = admission.admit(message(sequence: UInt32(sequence)), from: source, at: 0, wallClock: now)
            #expect(Self.isSigned(genuine), "genuine message \(sequence) refused while the bucket is empty")
            #expect(admission.admit(forged, from: source, at: 0, wallClock: now) == .rejected(.rateLimited))
        }
        // A replay verifies its MAC but is refused: it charges the bucket like any refusal.
        #expect(admission.admit(message(sequence: 50), from: source, at: 0, wallClock: now) == .rejected(.rateLimited))
    }

    @Test func verifiedSignedMessagesDoNotChargeTheBucket() {
        var admission = gate(.required, rateLimit: 1)
        for sequence in 1...10 {
            #expect(
                Self.isSigned(admission.admit(message(sequence: UInt32(sequence)), from: source, at: 0, wallClock: now))
            )
        }
        // The bucket (a burst of two) is still full.
        #expect(admission.admit([1], from: source, at: 0, wallClock: now) == .rejected(.short))
        #expect(admission.admit([1], from: source, at: 0, wallClock: now) == .rejected(.short))
        #expect(admission.admit([1], from: source, at: 0, wallClock: now) == .rejected(.rateLimited))
    }
}
