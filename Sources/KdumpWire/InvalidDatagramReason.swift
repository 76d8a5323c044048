/// Why a datagram was not accepted; the raw values are the `reason` label of the
/// `kdump_watch_datagrams_invalid_total` metric and the keys of `"invalid"` in status output.
///
/// `short` to `bad_version` are properties of version 1 bytes (``KdumpDatagram/classify(_:)``),
/// `not_allowed` and `rate_limited` the daemon's policy about the sender, and the rest the
/// checks of a version 2 message (Documentation/protocol.md §5).
public enum InvalidDatagramReason: String, CaseIterable, Sendable, Comparable, Error {
    case short
    case long
    case badMagic = "bad_magic"
    case badVersion = "bad_version"
    case notAllowed = "not_allowed"
    case rateLimited = "rate_limited"
    /// A version 2 datagram of the wrong length, flags, phase or node name.
    case malformed
    /// A version 2 key id that matches none of the daemon's keys.
    case unknownKey = "unknown_key"
    /// The MAC is wrong: forged, damaged, or signed with another key of the same id.
    case badMAC = "bad_mac"
    /// The sender's timestamp is further from the daemon's wall clock than `auth_window`.
    case clockSkew = "clock_skew"
    /// Genuine, but not newer than what the node sent before.
    case replayed
    /// A version 1 message where `auth = required`.
    case unauthenticated

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

#if !hasFeature(Embedded)
    // Status answers and the state file carry it; Embedded Swift (the sender) has no Codable.
    extension InvalidDatagramReason: Codable {}
#endif
