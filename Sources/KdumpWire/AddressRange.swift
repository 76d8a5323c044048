#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

/// An address or a CIDR block (`192.0.2.0/24`, `2001:db8::/32`, or a single address), as the
/// `allow` key of the daemon's configuration takes them.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let base: HostAddress
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil when either part is malformed or the prefix is
    /// longer than the family allows.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let base = HostAddress(String(parts[0])) else { return nil }
        var prefix = base.bitWidth
        if parts.count == 2 {
            // An IPv4-mapped base with an IPv6-sized prefix is ambiguous; reject it.
            guard let value = Int(parts[1]), parts[1].allSatisfy(\.isASCII), value >= 0,
                value <= base.bitWidth, parts[0].contains(":") == !base.isIPv4
            else { return nil }
            prefix = value
        }
        self.base = base
        self.prefixLength = prefix
    }

    public init(_ address: HostAddress) {
        base = address
        prefixLength = address.bitWidth
    }

    public func contains(_ address: HostAddress) -> Bool {
        base.sharesPrefix(prefixLength, with: address)
    }

    public var description: String {
        prefixLength == base.bitWidth ? base.description : "\(base)/\(prefixLength)"
    }
}

/// `address:port`, an IPv6 address in brackets (`127.0.0.1:7410`, `[::1]:7410`), as logs, URLs
/// and `kdump-watchctl health` write an endpoint.
public func endpointText(_ address: String, port: Int) -> String {
    address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
}
