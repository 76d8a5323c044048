import KdumpAdmission
import KdumpConfiguration
import KdumpState
import KdumpWire
import NIOCore
import NIOEmbedded
import Testing

@testable import KdumpWatchDaemon

@Suite struct DatagramIngestHandlerTests {
    let port = 7410

    /// Delivers one datagram as part of a read burst (`writeInbound` would end the burst too).
    func read(_ bytes: [UInt8], from source: String, on channel: EmbeddedChannel) throws {
        let envelope = AddressedEnvelope(
            remoteAddress: try SocketAddress(ipAddress: source, port: 40_000), data: ByteBuffer(bytes: bytes))
        channel.pipeline.syncOperations.fireChannelRead(NIOAny(envelope))
    }

    /// A channel with the handler, and the stream of batches it hands to the tracker.
    func channel(_ configuration: DaemonConfiguration = DaemonConfiguration()) throws -> (
        EmbeddedChannel, AsyncStream<DatagramBatch>, DaemonContext
    ) {
        let context = DaemonContext.forTesting(configuration)
        let queue = BatchQueue()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(DatagramIngestHandler(daemon: context, queue: queue))
        return (channel, queue.batches, context)
    }

    @Test func oneReadBurstIsOneBatchInArrivalOrderWithMappedAddressesNormalised() async throws {
        let (channel, batches, context) = try channel()
        try read(KdumpDatagram.littleEndianV1, from: "::ffff:10.0.0.1", on: channel)
        try read([1, 2, 3], from: "10.0.0.2", on: channel)
        try read([0x1B, 0x30, 0x2A, 0x40, 0, 0, 0, 1], from: "fd00::7", on: channel)
        channel.pipeline.fireChannelReadComplete()
        _ = try channel.finish()
        var iterator = batches.makeAsyncIterator()
        let batch = try #require(await iterator.next())
        #expect(batch.valid == [HostAddress("10.0.0.1")!, HostAddress("fd00::7")!])
        #expect(batch.invalid.map(\.reason) == [.short])
        #expect(batch.invalid.map(\.source) == [HostAddress("10.0.0.2")!])
        // The channel's end finishes the stream: the listener's loop ends with it.
        #expect(await iterator.next() == nil)
        let metrics = context.metrics.render()
        #expect(metrics.contains("kdump_watch_datagrams_received_total 3"))
        #expect(metrics.contains("kdump_watch_datagrams_valid_total 2"))
    }

    @Test func theAdmissionGateDecidesEveryDatagram() async throws {
        var configuration = DaemonConfiguration()
        configuration.allow = [.range(AddressRange("10.0.0.0/8")!)]
        configuration.rateLimit = 1
        let (channel, batches, _) = try channel(configuration)
        for _ in 0..<3 { try read(KdumpDatagram.littleEndianV1, from: "10.0.0.1", on: channel) }
        try read(KdumpDatagram.littleEndianV1, from: "192.0.2.1", on: channel)
        channel.pipeline.fireChannelReadComplete()
        _ = try channel.finish()
        var iterator = batches.makeAsyncIterator()
        let batch = try #require(await iterator.next())
        #expect(batch.valid == [HostAddress("10.0.0.1")!, HostAddress("10.0.0.1")!])
        #expect(batch.invalid.map(\.reason) == [.rateLimited, .notAllowed])
    }

    @Test func aLinkLocalSourceOutsideAllowIsRefusedWithWhatItLikelyIs() async throws {
        var configuration = DaemonConfiguration()
        configuration.allow = [.range(AddressRange("10.0.0.0/8")!)]
        let (channel, batches, _) = try channel(configuration)
        try read(KdumpDatagram.littleEndianV1, from: "fe80::5054:ff:fe12:3401", on: channel)
        try read(KdumpDatagram.littleEndianV1, from: "192.0.2.1", on: channel)
        channel.pipeline.fireChannelReadComplete()
        _ = try channel.finish()
        var iterator = batches.makeAsyncIterator()
        let batch = try #require(await iterator.next())
        #expect(batch.valid.isEmpty)
        #expect(batch.invalid.map(\.reason) == [.notAllowed, .notAllowed])
        #expect(batch.invalid.map(\.detail) == [DatagramAdmission.linkLocalSource, nil])
    }

    @Test func aFloodFromOneSourceIsOneCountedEntryPerReason() async throws {
        let (channel, batches, context) = try channel()
        for _ in 0..<64 { try read([1, 2, 3], from: "10.0.0.9", on: channel) }
        try read(KdumpDatagram.littleEndianV1 + [0], from: "10.0.0.9", on: channel)
        try read([1], from: "10.0.0.8", on: channel)
        channel.pipeline.fireChannelReadComplete()
        _ = try channel.finish()
        var iterator = batches.makeAsyncIterator()
        let batch = try #require(await iterator.next())
        #expect(
            batch.invalid == [
                .init(reason: .short, source: HostAddress("10.0.0.9")!, count: 64),
                .init(reason: .long, source: HostAddress("10.0.0.9")!, count: 1),
                .init(reason: .short, source: HostAddress("10.0.0.8")!, count: 1),
            ])
        #expect(batch.invalidCount == 66)
        #expect(context.metrics.render().contains(#"kdump_watch_datagrams_invalid_total{reason="short"} 65"#))
    }

    @Test func nothingIsHandedOnForAnEmptyBurst() async throws {
        let (channel, batches, _) = try channel()
        channel.pipeline.fireChannelReadComplete()
        _ = try channel.finish()
        var iterator = batches.makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }
}
