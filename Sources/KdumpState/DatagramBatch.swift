import KdumpWire

/// Datagrams checked together: the senders of valid messages, and invalid ones with why.
public struct DatagramBatch: Sendable {
    public var valid: [HostAddress] = []
    public var invalid: [(reason: InvalidDatagramReason, source: HostAddress)] = []

    public init() {}

    public var isEmpty: Bool { valid.isEmpty && invalid.isEmpty }
}
