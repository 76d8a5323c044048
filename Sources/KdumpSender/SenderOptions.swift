#if !hasFeature(Embedded)  // the embedded sender is one module (EmbeddedSender/)
    import KdumpCommandLine
    import KdumpWire
#endif

/// The settings of `kdump-watch-send`, with upstream `fence_kdump_send`'s defaults.
public struct SenderOptions: Sendable, Equatable {
    public var port: Int = KdumpDatagram.defaultPort
    public var family: AddressFamily = .auto
    /// Rounds to send; 0 sends until killed.
    public var count: Int = 0
    /// Seconds between rounds.
    public var interval: Int = 10
    public var verbose: Int = 0
    public var nodes: [String] = []
    /// `--key`: send protocol version 2, signed with this key file; nil sends version 1.
    public var keyFile: String?
    /// `--key-id`: the key id signed messages carry (the cluster key's, when `--key` holds a node
    /// key); nil means the first byte of SHA-256 of the key in `--key`.
    public var keyID: UInt8?
    /// `--node-name`: the name signed messages carry; nil means the recorded one, else `uname -n`.
    public var nodeName: String?
    /// `--phase`: every message's phase; nil means `started` in the first round, `dumping` after.
    public var phase: SignedMessage.Phase?
    /// `--broadcast`: also send to 255.255.255.255 and to ff02::1 on every interface that is up.
    public var broadcast = false
    /// `--also-v1`: send version 1 beside every signed message (a cluster in migration).
    public var alsoV1 = false

    public init() {}

    /// Where the capture-kernel integration records the node's name when it builds the
    /// initramfs (kdump-watch-send(8)).
    public static let recordedNodeNamePath = "/etc/kdump-watch/node-name"
}
