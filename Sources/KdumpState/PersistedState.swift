import FoundationEssentials
import KdumpDecision
import KdumpJSON
import KdumpWire

/// The state file's format: every entry with both of its clock readings, the newest signed
/// message of every node (``ReplayGuard``), and the boot it was written in.
///
/// Monotonic readings (`CLOCK_BOOTTIME`) are only meaningful within one boot, so they are
/// restored only when `boot_id` matches the running kernel's; otherwise the restored messages
/// count as infinitely old and can never confirm a fence, while `first_seen` is still shown.
public struct PersistedState: Sendable, Equatable {
    /// The value of the `format` field; a file without it is not ours.
    public static let formatName = "kdump-watch-state"
    /// Version 2 added signed entries and the replay records; version 1 files are still read.
    /// An older daemon refuses a version 2 file instead of mistaking a node's entry for its
    /// address's.
    public static let currentVersion = 2

    public var bootID: String
    public var writtenAt: WallClockTime
    public var entries: [HostEntry]
    public var replay: [String: ReplayGuard.Record]

    public init(
        bootID: String, writtenAt: WallClockTime, entries: [HostEntry], replay: [String: ReplayGuard.Record] = [:]
    ) {
        self.bootID = bootID
        self.writtenAt = writtenAt
        self.entries = entries
        self.replay = replay
    }

    /// Why a state file could not be loaded.
    public enum LoadError: Error, CustomStringConvertible, Equatable {
        case damaged(String)
        case foreign(String)

        /// One line: the reasons may quote the file.
        public var description: String {
            switch self {
            case .damaged(let why): "damaged state file: \(why)".oneLineMessage
            case .foreign(let why): "not a kdump-watch state file: \(why)".oneLineMessage
            }
        }
    }

    /// The file's bytes: one JSON document with a trailing newline, hosts in the order of
    /// ``entries``.
    ///
    /// Written straight from the entries, without strings in between: the daemon writes the
    /// whole table at every episode start (1000 hosts: 0.48 ms, against 1.3 ms through
    /// intermediate strings and 4.6 ms with `JSONEncoder`).
    public func encoded() -> [UInt8] {
        typealias File = FileFormat.CodingKeys
        typealias Host = FileFormat.Host.CodingKeys
        var writer = JSONWriter()
        writer.beginObject()
        writer.member(File.format, Self.formatName)
        writer.member(File.version, Self.currentVersion)
        writer.member(File.bootID, bootID)
        writer.member(File.writtenAt, writtenAt)
        writer.key(File.hosts)
        writer.beginArray()
        for entry in entries {
            writer.beginObject()
            writer.member(Host.address, entry.address.description)
            writer.member(Host.firstSeen, entry.firstSeen)
            writer.member(Host.lastSeen, entry.lastSeen)
            writer.member(Host.firstSeenNanoseconds, entry.firstSeen.nanosecondsSinceEpoch)
            writer.member(Host.lastSeenNanoseconds, entry.lastSeen.nanosecondsSinceEpoch)
            // Unknown (restored from another boot): left out, as older files never had it.
            if let boottime = entry.lastSeenMonotonic?.nanoseconds {
                writer.member(Host.lastSeenBoottimeNanoseconds, boottime)
            }
            writer.member(Host.messages, entry.messages)
            writer.member(Host.finishAnnounced, entry.finishAnnounced)
            if entry.authenticated, let node = entry.node {
                writer.member(Host.node, node)
                writer.member(Host.auth, true)
                if let phase = entry.phase { writer.member(Host.phase, phase.description) }
                if let sentAt = entry.lastSentAt { writer.member(Host.sentNanoseconds, sentAt.nanosecondsSinceEpoch) }
            }
            writer.endObject()
        }
        writer.endArray()
        writer.key(File.replay)
        writer.beginArray()
        for (node, record) in replay.sorted(by: { $0.key < $1.key }) {
            typealias Replay = FileFormat.Replay.CodingKeys
            writer.beginObject()
            writer.member(Replay.node, node)
            writer.member(Replay.nonce, record.nonce)
            writer.member(Replay.sequence, Int(record.sequence))
            writer.member(Replay.timestampNanoseconds, record.timestamp)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        // Compact: written often, read rarely (`jq . state.json` shows it readably).
        var bytes = writer.bytes
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Parses a state file. Monotonic readings are kept only when `currentBootID` matches and
    /// they are not in the future of `now`.
    public static func decode(
        _ bytes: [UInt8], currentBootID: String, now: MonotonicInstant
    ) throws(LoadError) -> PersistedState {
        struct Header: Decodable { var format: String?; var version: Int? }
        let data = Data(bytes)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw .damaged("not valid JSON")
        }
        guard header.format == formatName else {
            throw .foreign("format is \(header.format.map { "'\($0)'" } ?? "missing")")
        }
        guard let version = header.version, (1...currentVersion).contains(version) else {
            throw .foreign("unsupported version \(header.version.map(String.init) ?? "missing")")
        }
        let file: FileFormat
        do {
            file = try JSONDecoder().decode(FileFormat.self, from: data)
        } catch {
            throw .damaged("unexpected structure")
        }
        let sameBoot = file.bootID == currentBootID && !currentBootID.isEmpty
        var entries: [HostEntry] = []
        var seen = Set<HostKey>()
        for host in file.hosts {
            let authenticated = host.auth == true
            guard let address = HostAddress(host.address) else { throw .damaged("bad address '\(host.address)'") }
            if authenticated {
                guard let node = host.node, SignedMessage.isValidNodeName(node), seen.insert(.node(node)).inserted
                else { throw .damaged("bad or repeated node '\(host.node ?? "")'") }
            } else {
                guard seen.insert(.address(address)).inserted else {
                    throw .damaged("bad or repeated address '\(host.address)'")
                }
            }
            let phase = try host.phase.map { (name: String) throws(LoadError) -> SignedMessage.Phase in
                guard let phase = SignedMessage.Phase(name: name) else { throw .damaged("bad phase '\(name)'") }
                return phase
            }
            // Values no daemon writes would make later arithmetic trap: refuse the file (it is
            // moved aside) instead of crash-looping on it.
            guard (1...Self.mostMessages).contains(host.messages),
                Self.plausibleTimes.contains(host.firstSeenNanoseconds),
                Self.plausibleTimes.contains(host.lastSeenNanoseconds),
                host.firstSeenNanoseconds <= host.lastSeenNanoseconds,
                host.sentNanoseconds.map(Self.plausibleTimes.contains) ?? true
            else {
                throw .damaged("inconsistent or implausible entry for \(host.address)")
            }
            var monotonic = host.lastSeenBoottimeNanoseconds.map(MonotonicInstant.init)
            if !sameBoot || (monotonic.map { $0 > now } ?? false) { monotonic = nil }
            entries.append(
                HostEntry(
                    address: address, node: authenticated ? host.node : nil,
                    firstSeen: WallClockTime(nanosecondsSinceEpoch: host.firstSeenNanoseconds),
                    lastSeen: WallClockTime(nanosecondsSinceEpoch: host.lastSeenNanoseconds),
                    lastSeenMonotonic: monotonic, messages: host.messages,
                    finishAnnounced: host.finishAnnounced && monotonic != nil,
                    authenticated: authenticated, phase: authenticated ? phase : nil,
                    lastSentAt: authenticated ? host.sentNanoseconds.map(WallClockTime.init) : nil))
        }
        var replay: [String: ReplayGuard.Record] = [:]
        for record in file.replay ?? [] {
            guard SignedMessage.isValidNodeName(record.node), replay[record.node] == nil else {
                throw .damaged("bad or repeated replay record for '\(record.node)'")
            }
            replay[record.node] = ReplayGuard.Record(
                nonce: record.nonce, sequence: record.sequence, timestamp: record.timestampNanoseconds)
        }
        return PersistedState(
            bootID: file.bootID, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0),
            entries: entries, replay: replay)
    }

    /// The most messages an episode may have in a file: a sender at 100 a second for 248 days.
    static let mostMessages = Int(Int32.max)
    /// Wall-clock times a file may hold: from 1970 to 2200.
    static let plausibleTimes: ClosedRange<Int64> = 0...7_258_118_400_000_000_000

    private struct FileFormat: Decodable {
        var format: String
        var version: Int
        var bootID: String
        var writtenAt: String
        var hosts: [Host]
        var replay: [Replay]?

        enum CodingKeys: String, CodingKey {
            case format, version, hosts, replay
            case bootID = "boot_id"
            case writtenAt = "written_at"
        }

        struct Replay: Decodable {
            var node: String
            var nonce: UInt64
            var sequence: UInt32
            var timestampNanoseconds: UInt64

            enum CodingKeys: String, CodingKey {
                case node, nonce, sequence
                case timestampNanoseconds = "timestamp_ns"
            }
        }

        struct Host: Decodable {
            var address: String
            var firstSeen: String
            var lastSeen: String
            var firstSeenNanoseconds: Int64
            var lastSeenNanoseconds: Int64
            var lastSeenBoottimeNanoseconds: UInt64?
            var messages: Int
            var finishAnnounced: Bool
            var node: String?
            var auth: Bool?
            var phase: String?
            var sentNanoseconds: Int64?

            enum CodingKeys: String, CodingKey {
                case address, messages, node, auth, phase
                case sentNanoseconds = "sent_ns"
                case firstSeen = "first_seen"
                case lastSeen = "last_seen"
                case firstSeenNanoseconds = "first_seen_ns"
                case lastSeenNanoseconds = "last_seen_ns"
                case lastSeenBoottimeNanoseconds = "last_seen_boottime_ns"
                case finishAnnounced = "finish_announced"
            }
        }
    }
}
