import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The answer to `health`: enough for a fence agent's `monitor` to know the daemon is alive
/// and holds the UDP port.
public struct HealthReport: ControlPayload, Equatable {
    public struct Listener: ControlPayload, Equatable, CustomStringConvertible {
        public var address: String
        public var port: Int
        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }

        /// `127.0.0.1:7410` or `[::]:7410`, as logs and `kdump-watchctl health` show it.
        public var description: String { endpointText(address, port: port) }

        public func writeMembers(to writer: inout JSONWriter) {
            writer.member(CodingKeys.address, address)
            writer.member(CodingKeys.port, port)
        }
    }

    public var version: String
    public var pid: Int
    public var uptimeSeconds: Double
    /// The UDP sockets the daemon holds.
    public var udp: [Listener]
    public var hostsDumping: Int
    public var hostsFinished: Int
    public var waitsInFlight: Int
    public var controlClients: Int
    /// Whether the last state-file write succeeded (true before any write).
    public var stateWritable: Bool
    /// The daemon's default `max_age` for waits, in seconds.
    public var maxAgeSeconds: Double
    /// The `auth` mode in force: `none`, `optional` or `required` (nil from an older daemon).
    public var auth: String?
    /// Why the key files of `auth_key` cannot be read now, checked at each `health` request;
    /// nil when they can (or none is set). The daemon keeps the keys it read at start or
    /// reload, but would not start again with these files.
    public var authKeyError: String?
    /// Where the HTTP `/metrics` endpoint listens (`metrics_listen`); empty when it is off, nil
    /// from an older daemon.
    public var metrics: [Listener]?
    /// The cluster name the node keys are bound to, with `auth` other than `none`.
    public var clusterName: String?
    /// Whether a crash of this node would be caught (the readiness checks, run every minute and
    /// at each reload); nil until the first run ends, and from an older daemon.
    public var captureReady: Bool?
    /// The failing readiness checks, one line each: `NAME: problem (fix: command)`.
    public var captureProblems: [String]?

    public init(
        version: String, pid: Int, uptimeSeconds: Double, udp: [Listener], hostsDumping: Int,
        hostsFinished: Int, waitsInFlight: Int, controlClients: Int, stateWritable: Bool, maxAgeSeconds: Double,
        auth: String? = nil, authKeyError: String? = nil, metrics: [Listener]? = nil, clusterName: String? = nil,
        captureReady: Bool? = nil, captureProblems: [String]? = nil
    ) {
        self.captureReady = captureReady
        self.captureProblems = captureProblems
        self.clusterName = clusterName
        self.metrics = metrics
        self.auth = auth
        self.authKeyError = authKeyError
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.udp = udp
        self.hostsDumping = hostsDumping
        self.hostsFinished = hostsFinished
        self.waitsInFlight = waitsInFlight
        self.controlClients = controlClients
        self.stateWritable = stateWritable
        self.maxAgeSeconds = maxAgeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case version, pid, udp
        case uptimeSeconds = "uptime_seconds"
        case hostsDumping = "hosts_dumping"
        case hostsFinished = "hosts_finished"
        case waitsInFlight = "waits_in_flight"
        case controlClients = "control_clients"
        case stateWritable = "state_writable"
        case maxAgeSeconds = "max_age_seconds"
        case auth
        case authKeyError = "auth_key_error"
        case metrics
        case clusterName = "cluster_name"
        case captureReady = "capture_ready"
        case captureProblems = "capture_problems"
    }

    public func writeMembers(to writer: inout JSONWriter) {
        writer.member(CodingKeys.version, version)
        writer.member(CodingKeys.pid, pid)
        writer.member(CodingKeys.uptimeSeconds, uptimeSeconds)
        writer.member(CodingKeys.udp, udp)
        writer.member(CodingKeys.hostsDumping, hostsDumping)
        writer.member(CodingKeys.hostsFinished, hostsFinished)
        writer.member(CodingKeys.waitsInFlight, waitsInFlight)
        writer.member(CodingKeys.controlClients, controlClients)
        writer.member(CodingKeys.stateWritable, stateWritable)
        writer.member(CodingKeys.maxAgeSeconds, maxAgeSeconds)
        writer.member(CodingKeys.auth, auth)
        writer.member(CodingKeys.authKeyError, authKeyError)
        if let metrics { writer.member(CodingKeys.metrics, metrics) }
        if let clusterName { writer.member(CodingKeys.clusterName, clusterName) }
        if let captureReady { writer.member(CodingKeys.captureReady, captureReady) }
        if let captureProblems { writer.member(CodingKeys.captureProblems, captureProblems) }
    }
}
