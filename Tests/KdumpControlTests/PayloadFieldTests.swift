import KdumpControl
import KdumpJSON
import KdumpWire
import Testing

/// A control message's field is declared in up to four places: the property, the initializer,
/// `CodingKeys` (when its wire name is not its Swift name) and the hand-written encoder
/// (`writeMembers`). The compiler catches a field missing from the initializer or from decoding;
/// these tests catch one missing from the encoder: every payload, with every field set, must
/// come back equal through the wire, and the samples themselves are checked to leave no field
/// nil, so that a new optional field cannot hide behind a sample that forgot it.
@Suite struct PayloadFieldTests {
    static let host = HostReport(
        address: "192.0.2.7", node: "node-b", state: .dumping, firstSeen: "2026-12-03T10:00:00.000Z",
        lastSeen: "2026-12-03T10:00:10.000Z", messages: 3, lastSeenAgeSeconds: 1.5, auth: true, phase: "dumping")

    static let health = HealthReport(
        version: "1.2.3", pid: 42, uptimeSeconds: 12.5, udp: [.init(address: "::", port: 7410)], hostsDumping: 1,
        hostsFinished: 2, waitsInFlight: 3, controlClients: 4, stateWritable: false, maxAgeSeconds: 60,
        auth: "required", authKeyError: "cannot read /etc/kdump-watch/key",
        metrics: [.init(address: "127.0.0.1", port: 9741)],
        clusterName: "example", captureReady: false,
        captureProblems: ["crash_kernel_loaded: no capture kernel is loaded (fix: kdump-config load)"])

    static let wait = WaitReport(result: .confirmed, host: host, target: "node-b", waitedSeconds: 0.25)

    static let event = WatchEvent(
        event: "invalid", host: host, reason: "bad_mac", source: "192.0.2.9", time: "2026-12-03T10:00:11.000Z",
        count: 2)

    @Test func everyFieldOfEveryPayloadSurvivesTheWire() throws {
        try expectRoundTrip(Self.host)
        try expectRoundTrip(Self.health)
        try expectRoundTrip(Self.wait)
        try expectRoundTrip(Self.event)
        try expectRoundTrip(ForgetReport(forgotten: [Self.host]))
        try expectRoundTrip(StatusReport(hosts: [Self.host], invalid: [.badMAC: 2, .short: 1]))
        try expectRoundTrip(MetricsReport(text: "kdump_watch_up 1\n"))
        try expectRoundTrip(ControlError(.unresolvable, "cannot resolve 'x'"))
    }

    @Test func theSamplesSetEveryField() {
        for sample in [Self.host, Self.health, Self.wait, Self.event] as [Any] {
            #expect(nilFields(of: sample).isEmpty, "\(type(of: sample)) leaves \(nilFields(of: sample)) nil")
        }
    }

    private func expectRoundTrip<Payload: Decodable & JSONObjectWritable & Equatable>(_ payload: Payload) throws {
        let line = ControlCoding.line(payload)
        let decoded = try ControlCoding.decode(Payload.self, from: line)
        #expect(decoded == payload, "\(Payload.self) changed on the wire: \(String(decoding: line, as: UTF8.self))")
    }

    /// The paths of the optional properties that are nil, nested values included.
    private func nilFields(of value: Any, path: String = "") -> [String] {
        Mirror(reflecting: value).children.flatMap { child -> [String] in
            let name = path + (child.label ?? "?")
            let inner = Mirror(reflecting: child.value)
            if inner.displayStyle == .optional {
                guard let wrapped = inner.children.first?.value else { return [name] }
                return nilFields(of: wrapped, path: name + ".")
            }
            if inner.displayStyle == .struct || inner.displayStyle == .collection {
                return nilFields(of: child.value, path: name + ".")
            }
            return []
        }
    }
}
