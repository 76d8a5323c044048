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
