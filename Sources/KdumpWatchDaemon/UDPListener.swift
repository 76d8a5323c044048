import Glibc
import KdumpState
import KdumpWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The UDP side of the daemon: binds the `fence_kdump` port and feeds every datagram, checked
/// against §3 and the `allow` policy, to the tracker.
struct UDPListener: Service, CustomStringConvertible {
    typealias DatagramChannel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    let channel: DatagramChannel
    let context: DaemonContext
    var description: String { "UDPListener(\(channel.channel.localAddress.map { "\($0)" } ?? "?"))" }

    /// Binds `address:port`.
    ///
    /// `SO_REUSEADDR` is deliberately not set: on Linux two sockets that both set it can bind
    /// the same UDP port, and a second daemon would then start silently and steal datagrams.
    static func bind(
        address: HostAddress?, port: Int, group: any EventLoopGroup
    ) async throws -> DatagramChannel {
        let host = address?.description ?? "::"
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 256))
        do {
            return try await bootstrap.bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try DatagramChannel(wrappingChannelSynchronously: channel) }
            }
        } catch let error as IOError where address == nil && error.errnoCode == EAFNOSUPPORT {
            // IPv6 is disabled on this machine: serve IPv4 only.
            return try await bootstrap.bind(host: "0.0.0.0", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try DatagramChannel(wrappingChannelSynchronously: channel) }
            }
        }
    }

    /// Adopts a datagram socket bound by systemd (`ListenDatagram=`).
    ///
    /// Uses the future-based `withBoundSocket(_:)`: its async counterpart in SwiftNIO 2.101
    /// always throws "operation unsupported". The channel is wrapped inside the initializer, as
    /// wrapping it later could lose datagrams.
    static func adopt(descriptor: Int32, group: any EventLoopGroup) async throws -> DatagramChannel {
        let wrapped = NIOLockedValueBox<DatagramChannel?>(nil)
        _ = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 256))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let asyncChannel = try DatagramChannel(wrappingChannelSynchronously: channel)
                    wrapped.withLockedValue { $0 = asyncChannel }
                }
            }
            .withBoundSocket(descriptor).get()
        guard let channel = wrapped.withLockedValue({ $0 }) else {
            throw StartupError("socket \(descriptor) was not wrapped")
        }
        return channel
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await channel.executeThenClose { inbound, _ in
                for try await envelope in inbound {
                    await handle(envelope)
                }
            }
        } onGracefulShutdown: {
            channel.channel.close(promise: nil)
        }
    }

    private func handle(_ envelope: AddressedEnvelope<ByteBuffer>) async {
        context.metrics.datagramsReceived.increment()
        guard let source = HostAddress(envelope.remoteAddress) else { return }
        let reason: InvalidDatagramReason
        if !context.runtime.allow.admits(source) {
            reason = .notAllowed
        } else {
            switch KdumpDatagram.classify(envelope.data.readableBytesView) {
            case .valid:
                context.metrics.datagramsValid.increment()
                await context.tracker.recordValid(from: source)
                return
            case .invalid(let why):
                reason = why
            }
        }
        context.metrics.invalid(reason).increment()
        await context.tracker.recordInvalid(reason, from: source)
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
