#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
#endif

/// Turns node names into every address the system resolver knows for them.
///
/// Upstream `fence_kdump` uses only the first `getaddrinfo` result, so a dual-stack or
/// multi-homed node is matched on one address only; this resolver returns all of them,
/// normalised and without duplicates.
public enum AddressResolver {
    /// A name that did not resolve.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let name: String
        public let reason: String

        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }

        public var description: String { "cannot resolve '\(name)': \(reason)" }
    }

    /// Every address of `name` in `family`, sorted; a numeric address is returned as itself.
    ///
    /// Blocks for as long as the system resolver does.
    public static func resolve(_ name: String, family: AddressFamily = .auto) throws(Failure)
        -> [HostAddress]
    {
        if let literal = HostAddress(name) {
            guard family.admits(literal) else {
                throw Failure(name: name, reason: "not an \(family.rawValue) address")
            }
            return [literal]
        }
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw Failure(name: name, reason: "empty or malformed name")
        }
        var hints = addrinfo()
        hints.ai_family =
            switch family {
            case .auto: AF_UNSPEC
            case .ipv4: AF_INET
            case .ipv6: AF_INET6
            }
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else {
            throw Failure(name: name, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var found: [HostAddress] = []  // sorted; no hashing, whose seed would wait for the random pool
        var cursor = list
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr, let address = HostAddress(socketAddress: sockaddr),
                family.admits(address)
            {
                // Put in its place in order, once (getaddrinfo may list an address once per
                // protocol): a handful of addresses, and the general sort's code would be a
                // twentieth of the embedded sender.
                let place = found.firstIndex { $0 >= address } ?? found.endIndex
                if place == found.endIndex || found[place] != address { found.insert(address, at: place) }
            }
            cursor = entry.pointee.ai_next
        }
        guard !found.isEmpty else {
            throw Failure(name: name, reason: "no \(family.rawValue) address")
        }
        return found
    }
}
