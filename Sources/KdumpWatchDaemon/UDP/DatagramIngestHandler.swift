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
