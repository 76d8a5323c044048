import Glibc
import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The UDP side of the daemon: binds (or adopts) the `fence_kdump` socket and feeds every
/// datagram, decided by the admission gate (``DatagramAdmission``), to the tracker.
///
/// Datagrams are checked on the event loop as they are read (vectored reads, 64 at a time) and
/// handed to the tracker in one batch per read burst: one actor call per batch instead of one
/// per datagram keeps ingest close to the machine's limit. Batches queue in a ``BatchQueue``:
/// under a flood of invalid datagrams the newest of them are dropped and counted, never
/// buffered without bound, while batches with valid messages always reach the table.
struct UDPListener: Service, CustomStringConvertible {
    let channel: any Channel
    let queue: BatchQueue
    let context: DaemonContext
    var description: String { "UDPListener(\(channel.localAddress.map { "\($0)" } ?? "?"))" }

    /// The one event-loop thread every UDP socket reads on, apart from the control socket's.
    static let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Binds `address:port` (`::` when nil, or `0.0.0.0` where IPv6 is disabled).
    ///
    /// `SO_REUSEADDR` is deliberately not set: on Linux two sockets that both set it can bind
    /// the same UDP port, and a second daemon would then start silently and steal datagrams.
    static func bind(address: HostAddress?, port: Int, context: DaemonContext, group: any EventLoopGroup) async throws
        -> UDPListener
    {
        let queue = BatchQueue()
        let bootstrap = configured(DatagramBootstrap(group: group), context: context, queue: queue)
        // A numeric address, not a host name: `bind(host:)` asks getaddrinfo with AI_ADDRCONFIG,
        // which refuses "::" on a host with no IPv6 address but loopback's (an IPv4-only
        // network, or interfaces that are not up yet), though the socket itself would work.
        do {
            let local = try SocketAddress(ipAddress: address?.description ?? "::", port: port)
            let channel = try await bootstrap.bind(to: local).get()
            return UDPListener(channel: channel, queue: queue, context: context)
        } catch let error as IOError where address == nil && error.errnoCode == EAFNOSUPPORT {
            let channel = try await bootstrap.bind(to: try SocketAddress(ipAddress: "0.0.0.0", port: port)).get()
            return UDPListener(channel: channel, queue: queue, context: context)
        }
    }

    /// Adopts a datagram socket bound by systemd (`ListenDatagram=`). The future-based
    /// `withBoundSocket(_:)` is used: its async counterpart in SwiftNIO 2.101 always throws
    /// "operation unsupported".
    static func adopt(descriptor: Int32, context: DaemonContext, group: any EventLoopGroup) async throws -> UDPListener
    {
        let queue = BatchQueue()
        let channel = try await configured(DatagramBootstrap(group: group), context: context, queue: queue)
            .withBoundSocket(descriptor).get()
        return UDPListener(channel: channel, queue: queue, context: context)
    }

    private static func configured(_ bootstrap: DatagramBootstrap, context: DaemonContext, queue: BatchQueue)
        -> DatagramBootstrap
    {
        bootstrap
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 256))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramIngestHandler(daemon: context, queue: queue))
                }
            }
    }

    func run() async {
        let queue = self.queue
        let tracker = context.tracker
        await withGracefulShutdownHandler {
            // At a lower priority than the control sessions: the tracker and the cooperative
            // threads serve a fence request before the next batch of a flood.
            await withDiscardingTaskGroup { group in
                group.addTask(priority: .low) {
                    await queue.consume { await tracker.record($0) }
                }
            }
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Puts datagrams through the admission gate on the event loop and collects them into one batch
/// per read burst.
final class DatagramIngestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let daemon: DaemonContext
    private let queue: BatchQueue
    private var pending = DatagramBatch()
    private var received = 0
    private var admission: DatagramAdmission
    /// Whether this read burst took the settings in force yet: they are read once per burst
    /// rather than under a lock per datagram.
    private var burstStarted = false
    private var burstTime: UInt64 = 0
    private var burstWallClock = WallClockTime(nanosecondsSinceEpoch: 0)

    init(daemon: DaemonContext, queue: BatchQueue) {
        self.daemon = daemon
        self.queue = queue
        let runtime = daemon.runtime
        admission = DatagramAdmission(
            policy: runtime.allow, rateLimit: runtime.configuration.rateLimit,
            authentication: runtime.authentication, replay: daemon.replay)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        received += 1
        guard let source = HostAddress(envelope.remoteAddress) else { return }
        if !burstStarted {
            let runtime = daemon.runtime
            admission.update(
                policy: runtime.allow, rateLimit: runtime.configuration.rateLimit,
                authentication: runtime.authentication)
            burstTime = NIODeadline.now().uptimeNanoseconds
            burstWallClock = SystemClock.now().wall
            burstStarted = true
        }
        switch admission.admit(
            envelope.data.readableBytesView, from: source, at: burstTime, wallClock: burstWallClock)
        {
        case .accepted: pending.valid.append(source)
        case .signed(let message): pending.signed.append(message)
        case .rejected(let reason, let detail): pending.appendInvalid(reason, from: source, detail: detail)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush()
        queue.finish()
        context.fireChannelInactive()
    }

    private func flush() {
        burstStarted = false
        guard received > 0 else { return }
        let metrics = daemon.metrics
        metrics.datagramsReceived.increment(by: Int64(received))
        received = 0
        if pending.validCount > 0 { metrics.datagramsValid.increment(by: Int64(pending.validCount)) }
        if !pending.signed.isEmpty { metrics.datagramsSigned.increment(by: Int64(pending.signed.count)) }
        for kind in pending.invalid { metrics.invalid(kind.reason).increment(by: Int64(kind.count)) }
        guard !pending.isEmpty else { return }
        if !queue.push(pending) {
            metrics.datagramsDropped.increment(by: Int64(pending.validCount + pending.invalidCount))
        }
        pending = DatagramBatch()
    }
}

extension HostAddress {
    /// The normalised address of a NIO socket address; nil for Unix sockets.
    init?(_ socketAddress: SocketAddress) {
        guard let address = socketAddress.withSockAddr({ pointer, _ in HostAddress(socketAddress: pointer) })
        else { return nil }
        self = address
    }
}
