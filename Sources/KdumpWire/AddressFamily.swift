#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

/// Which address families a node name may resolve to, as the `family` option of
/// `fence_kdump` and `fence_kdump_send` spells it.
public enum AddressFamily: String, CaseIterable, Sendable {
    case auto
    case ipv4
    case ipv6

    /// The family spelled `name` (`auto`, `ipv4`, `ipv6`); nil for anything else.
    public init?(name: some StringProtocol) {
        guard let family = Self.allCases.first(where: { $0.rawValue.hasSameUTF8(as: name) }) else { return nil }
        self = family
    }

    /// Whether `address` belongs to this family filter.
    public func admits(_ address: HostAddress) -> Bool {
        switch self {
        case .auto: true
        case .ipv4: address.isIPv4
        case .ipv6: !address.isIPv4
        }
    }
}

#if !hasFeature(Embedded)
    // The daemon's configuration and control messages carry it; Embedded Swift (the sender) has
    // no Codable.
    extension AddressFamily: Codable {}
#endif
