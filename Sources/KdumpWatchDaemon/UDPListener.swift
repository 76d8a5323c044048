import Glibc
import KdumpConfiguration
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
/// per datagram keeps ingest close to the machine's limit. Batches queue in a bounded stream;
/// under overload the newest batches are dropped and counted, never buffered without bound.
struct UDPListener: Service, CustomStringConvertible {
    let channel: any Channel
    let batches: AsyncStream<DatagramBatch>
    let context: DaemonContext
    var description: String { "UDPListener(\(channel.localAddress.map { "\($0)" } ?? "?"))" }

    /// Batches waiting for the tracker; 64 datagrams each at most. Few: under a flood, what
    /// waits here is work the tracker does before it can answer a fence request, and a batch
    /// that does not fit is dropped and counted instead.
    static let queuedBatches = 16

    /// The one event-loop thread every UDP socket reads on, apart from the control socket's.
    static let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Binds `address:port` (`::` when nil, or `0.0.0.0` where IPv6 is disabled).
    ///
    /// `SO_REUSEADDR` is deliberately not set: on Linux two sockets that both set it can bind
    /// the same UDP port, and a second daemon would then start silently and steal datagrams.
    static func bind(address: HostAddress?, port: Int, context: DaemonContext, group: any EventLoopGroup) async throws
        -> UDPListener
    {
        let (batches, sink) = makeQueue()
        let bootstrap = configured(DatagramBootstrap(group: group), context: context, sink: sink)
        do {
            let channel = try await bootstrap.bind(host: address?.description ?? "::", port: port).get()
            return UDPListener(channel: channel, batches: batches, context: context)
        } catch let error as IOError where address == nil && error.errnoCode == EAFNOSUPPORT {
            let channel = try await bootstrap.bind(host: "0.0.0.0", port: port).get()
            return UDPListener(channel: channel, batches: batches, context: context)
        }
    }

    /// Adopts a datagram socket bound by systemd (`ListenDatagram=`). The future-based
    /// `withBoundSocket(_:)` is used: its async counterpart in SwiftNIO 2.101 always throws
    /// "operation unsupported".
    static func adopt(descriptor: Int32, context: DaemonContext, group: any EventLoopGroup) async throws -> UDPListener
    {
        let (batches, sink) = makeQueue()
        let channel = try await configured(DatagramBootstrap(group: group), context: context, sink: sink)
            .withBoundSocket(descriptor).get()
        return UDPListener(channel: channel, batches: batches, context: context)
    }

    private static func makeQueue() -> (AsyncStream<DatagramBatch>, AsyncStream<DatagramBatch>.Continuation) {
        AsyncStream.makeStream(of: DatagramBatch.self, bufferingPolicy: .bufferingOldest(queuedBatches))
    }

    private static func configured(
        _ bootstrap: DatagramBootstrap, context: DaemonContext, sink: AsyncStream<DatagramBatch>.Continuation
    ) -> DatagramBootstrap {
        bootstrap
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 256))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramIngestHandler(daemon: context, sink: sink))
                }
            }
    }

    func run() async {
        let batches = self.batches
        let tracker = context.tracker
        await withGracefulShutdownHandler {
            // At a lower priority than the control sessions: the tracker and the cooperative
            // threads serve a fence request before the next batch of a flood.
            await withDiscardingTaskGroup { group in
                group.addTask(priority: .low) {
                    for await batch in batches {
                        await tracker.record(batch)
                    }
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
    private let sink: AsyncStream<DatagramBatch>.Continuation
    private var pending = DatagramBatch()
    private var received = 0
    private var admission: DatagramAdmission
    /// Whether this read burst took the settings in force yet: they are read once per burst
    /// rather than under a lock per datagram.
    private var burstStarted = false
    private var burstTime: UInt64 = 0

    init(daemon: DaemonContext, sink: AsyncStream<DatagramBatch>.Continuation) {
        self.daemon = daemon
        self.sink = sink
        let runtime = daemon.runtime
        admission = DatagramAdmission(policy: runtime.allow, rateLimit: runtime.configuration.rateLimit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        received += 1
        guard let source = HostAddress(envelope.remoteAddress) else { return }
        if !burstStarted {
            let runtime = daemon.runtime
            admission.update(policy: runtime.allow, rateLimit: runtime.configuration.rateLimit)
            burstTime = NIODeadline.now().uptimeNanoseconds
            burstStarted = true
        }
        switch admission.admit(envelope.data.readableBytesView, from: source, at: burstTime) {
        case .accepted: pending.valid.append(source)
        case .rejected(let reason): pending.appendInvalid(reason, from: source)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush()
        sink.finish()
        context.fireChannelInactive()
    }

    private func flush() {
        burstStarted = false
        guard received > 0 else { return }
        let metrics = daemon.metrics
        metrics.datagramsReceived.increment(by: Int64(received))
        received = 0
        if !pending.valid.isEmpty { metrics.datagramsValid.increment(by: Int64(pending.valid.count)) }
        for kind in pending.invalid { metrics.invalid(kind.reason).increment(by: Int64(kind.count)) }
        guard !pending.isEmpty else { return }
        if case .dropped = sink.yield(pending) {
            metrics.datagramsDropped.increment(by: Int64(pending.valid.count + pending.invalidCount))
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
