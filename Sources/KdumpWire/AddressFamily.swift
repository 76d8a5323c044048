import Glibc

/// Which address families a node name may resolve to, as the `family` option of
/// `fence_kdump` and `fence_kdump_send` spells it.
public enum AddressFamily: String, CaseIterable, Sendable, Codable {
    case auto
    case ipv4
    case ipv6

    /// Whether `address` belongs to this family filter.
    public func admits(_ address: HostAddress) -> Bool {
        switch self {
        case .auto: true
        case .ipv4: address.isIPv4
        case .ipv6: !address.isIPv4
        }
    }
}
