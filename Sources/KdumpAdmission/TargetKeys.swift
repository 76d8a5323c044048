import KdumpConfiguration
import KdumpState
import KdumpWire

/// Which table keys confirm a fence target (Documentation/design.md §7): the rule shared by
/// the daemon's waits and the fence agent's fallback listener.
///
/// Under `auth = none` they are the target's addresses. Under `optional`, also the signed
/// entries of the nodes those addresses belong to, and of the target itself when it is a node
/// name (matched without resolving it: a capture kernel may have any address). Under
/// `required` only signed entries: a node name stands for itself, and an address only through
/// the node that `nodes` gives it, never through the source of a message.
public enum TargetKeys {
    /// Why a target cannot be waited for; one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Whether ``confirming(_:mode:directory:addresses:)`` needs the target's addresses (the
    /// caller resolves them its own way: the daemon off its event loops, the agent directly).
    public static func needsAddresses(_ target: String, mode: AuthMode) -> Bool { mode != .required }

    /// The addresses of `target` that need no resolver: itself when it is numeric (in
    /// `family`), else the addresses `nodes` gives it; nil when only the system resolver can
    /// tell.
    public static func knownAddresses(of target: String, family: AddressFamily, directory: NodeDirectory)
        -> Result<[HostAddress], AddressResolver.Failure>?
    {
        if let literal = HostAddress(target) {
            guard family.admits(literal) else {
                return .failure(AddressResolver.Failure(name: target, reason: "not an \(family.rawValue) address"))
            }
            return .success([literal])
        }
        if let configured = directory.addressesByName[target]?.filter(family.admits), !configured.isEmpty {
            return .success(configured)
        }
        return nil
    }

    /// The keys whose messages confirm a wait for `target`. `addresses` is what resolving
    /// `target` gave: its addresses, or the resolver's failure.
    public static func confirming(
        _ target: String, mode: AuthMode, directory: NodeDirectory,
        addresses: Result<[HostAddress], AddressResolver.Failure>
    ) throws(Failure) -> Set<HostKey> {
        switch mode {
        case .none:
            switch addresses {
            case .success(let addresses): return Set(addresses.map(HostKey.address))
            case .failure(let failure): throw Failure(description: failure.description)
            }
        case .optional:
            return try selecting(target, mode: mode, directory: directory, addresses: addresses)
        case .required:
            if let literal = HostAddress(target) {
                guard let node = directory.nameByAddress[literal] else {
                    throw Failure(
                        description:
                            "'\(target)' is the address of no node in 'nodes'; with auth = required only a node's signed messages confirm, so name the node or list its address in 'nodes'"
                    )
                }
                return [.node(node)]
            }
            guard SignedMessage.isValidNodeName(target) else {
                throw Failure(
                    description: "'\(target)' is not a node name (letters, digits, '.', '_', '-'; 64 at most)")
            }
            return [.node(target)]
        }
    }

    /// Every table key that `host` names (status and forget; waits under `optional`): its
    /// addresses, the nodes those addresses belong to, and the node of that name. With `auth`
    /// other than `none`, a node name that does not resolve still names its signed entry.
    public static func selecting(
        _ host: String, mode: AuthMode, directory: NodeDirectory,
        addresses: Result<[HostAddress], AddressResolver.Failure>
    ) throws(Failure) -> Set<HostKey> {
        let nodeName = mode != .none && HostAddress(host) == nil && SignedMessage.isValidNodeName(host) ? host : nil
        let resolved: [HostAddress]
        switch addresses {
        case .success(let addresses): resolved = addresses
        case .failure where nodeName != nil: resolved = []
        case .failure(let failure): throw Failure(description: failure.description)
        }
        var keys = Set(resolved.map(HostKey.address))
        for address in resolved { if let node = directory.nameByAddress[address] { keys.insert(.node(node)) } }
        if let nodeName { keys.insert(.node(nodeName)) }
        return keys
    }
}
