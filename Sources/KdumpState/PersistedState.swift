import FoundationEssentials
import KdumpJSON
import KdumpWire

/// The state file's format: every entry with both of its clock readings, and the boot it was
/// written in.
///
/// Monotonic readings (`CLOCK_BOOTTIME`) are only meaningful within one boot, so they are
/// restored only when `boot_id` matches the running kernel's; otherwise the restored messages
/// count as infinitely old and can never confirm a fence, while `first_seen` is still shown.
public struct PersistedState: Sendable, Equatable {
    /// The value of the `format` field; a file without it is not ours.
    public static let formatName = "kdump-watch-state"
    public static let currentVersion = 1

    public var bootID: String
    public var writtenAt: WallClockTime
    public var entries: [HostEntry]

    public init(bootID: String, writtenAt: WallClockTime, entries: [HostEntry]) {
        self.bootID = bootID
        self.writtenAt = writtenAt
        self.entries = entries
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

    /// The file's bytes: one JSON document with a trailing newline.
    public func encoded() -> [UInt8] {
        let file = FileFormat(
            format: Self.formatName, version: Self.currentVersion, bootID: bootID,
            writtenAt: writtenAt.rfc3339,
            hosts: entries.map { entry in
                FileFormat.Host(
                    address: entry.address.description,
                    firstSeen: entry.firstSeen.rfc3339,
                    lastSeen: entry.lastSeen.rfc3339,
                    firstSeenNanoseconds: entry.firstSeen.nanosecondsSinceEpoch,
                    lastSeenNanoseconds: entry.lastSeen.nanosecondsSinceEpoch,
                    lastSeenBoottimeNanoseconds: entry.lastSeenMonotonic?.nanoseconds,
                    messages: entry.messages,
                    finishAnnounced: entry.finishAnnounced)
            })
        // Compact: written often, read rarely (`jq . state.json` shows it readably).
        return file.jsonLine()
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
        guard header.version == currentVersion else {
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
        var seen = Set<HostAddress>()
        for host in file.hosts {
            guard let address = HostAddress(host.address), seen.insert(address).inserted else {
                throw .damaged("bad or repeated address '\(host.address)'")
            }
            guard host.messages > 0, host.firstSeenNanoseconds <= host.lastSeenNanoseconds else {
                throw .damaged("inconsistent entry for \(host.address)")
            }
            var monotonic = host.lastSeenBoottimeNanoseconds.map(MonotonicInstant.init)
            if !sameBoot || (monotonic.map { $0 > now } ?? false) { monotonic = nil }
            entries.append(
                HostEntry(
                    address: address, node: nil,
                    firstSeen: WallClockTime(nanosecondsSinceEpoch: host.firstSeenNanoseconds),
                    lastSeen: WallClockTime(nanosecondsSinceEpoch: host.lastSeenNanoseconds),
                    lastSeenMonotonic: monotonic, messages: host.messages,
                    finishAnnounced: host.finishAnnounced && monotonic != nil))
        }
        return PersistedState(
            bootID: file.bootID, writtenAt: WallClockTime(nanosecondsSinceEpoch: 0),
            entries: entries)
    }

    private struct FileFormat: Decodable, JSONObjectWritable {
        var format: String
        var version: Int
        var bootID: String
        var writtenAt: String
        var hosts: [Host]

        enum CodingKeys: String, CodingKey {
            case format, version, hosts
            case bootID = "boot_id"
            case writtenAt = "written_at"
        }

        func writeMembers(to writer: inout JSONWriter) {
            writer.member(CodingKeys.format, format)
            writer.member(CodingKeys.version, version)
            writer.member(CodingKeys.bootID, bootID)
            writer.member(CodingKeys.writtenAt, writtenAt)
            writer.member(CodingKeys.hosts, hosts)
        }

        struct Host: Decodable, JSONObjectWritable {
            var address: String
            var firstSeen: String
            var lastSeen: String
            var firstSeenNanoseconds: Int64
            var lastSeenNanoseconds: Int64
            var lastSeenBoottimeNanoseconds: UInt64?
            var messages: Int
            var finishAnnounced: Bool

            enum CodingKeys: String, CodingKey {
                case address, messages
                case firstSeen = "first_seen"
                case lastSeen = "last_seen"
                case firstSeenNanoseconds = "first_seen_ns"
                case lastSeenNanoseconds = "last_seen_ns"
                case lastSeenBoottimeNanoseconds = "last_seen_boottime_ns"
                case finishAnnounced = "finish_announced"
            }

            /// An unknown boot-time reading is left out (older files never had one).
            func writeMembers(to writer: inout JSONWriter) {
                writer.member(CodingKeys.address, address)
                writer.member(CodingKeys.firstSeen, firstSeen)
                writer.member(CodingKeys.lastSeen, lastSeen)
                writer.member(CodingKeys.firstSeenNanoseconds, firstSeenNanoseconds)
                writer.member(CodingKeys.lastSeenNanoseconds, lastSeenNanoseconds)
                if let lastSeenBoottimeNanoseconds {
                    writer.member(CodingKeys.lastSeenBoottimeNanoseconds, lastSeenBoottimeNanoseconds)
                }
                writer.member(CodingKeys.messages, messages)
                writer.member(CodingKeys.finishAnnounced, finishAnnounced)
            }
        }
    }
}
