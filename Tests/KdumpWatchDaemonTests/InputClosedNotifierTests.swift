import NIOCore
import NIOEmbedded
import Testing

@testable import KdumpWatchDaemon

@Suite struct InputClosedNotifierTests {
    /// Whether the notifier's future completed; the embedded loop runs callbacks at once.
    final class Completion {
        var isFulfilled = false
    }

    func channel() throws -> (EmbeddedChannel, Completion) {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        try channel.pipeline.syncOperations.addHandler(InputClosedNotifier(promise: promise))
        let completion = Completion()
        promise.futureResult.assumeIsolated().whenComplete { _ in completion.isFulfilled = true }
        return (channel, completion)
    }

    @Test func aHalfCloseCompletesIt() throws {
        let (channel, closed) = try channel()
        try channel.writeInbound(ByteBuffer(string: "{}\n"))
        #expect(!closed.isFulfilled)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(closed.isFulfilled)
        // Data still passes on: requests read before the end of stream are answered.
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{}\n"))
    }

    @Test func theConnectionGoingAwayCompletesItToo() throws {
        let (channel, closed) = try channel()
        _ = try channel.finish()
        #expect(closed.isFulfilled)
    }

    @Test func otherEventsDoNot() throws {
        let (channel, closed) = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.outputClosed)
        #expect(!closed.isFulfilled)
        _ = try channel.finish()
    }
}
