import KdumpControl
import NIOCore
import NIOEmbedded
import Testing

@testable import KdumpWatchDaemon

@Suite struct IdleLimitTests {
    func written(_ channel: EmbeddedChannel) throws -> String? {
        try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
    }

    @Test func aClientSilentForTheLimitIsToldAndClosed() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/kw-idle-test")).wait()
        let idle = IdleLimit(channel: channel, timeout: .seconds(30), peer: "test")
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try written(channel) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let line = try #require(try written(channel))
        #expect(line.contains(#""code":"idle_timeout""#) && line.contains("no complete request within 30.0 s"))
        #expect(!channel.isActive)
        _ = idle
    }

    @Test func timeSpentAnsweringDoesNotCountAndTheLimitRestartsAfterEachAnswer() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/kw-idle-test")).wait()
        let idle = IdleLimit(channel: channel, timeout: .seconds(30), peer: "test")
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(idle.pause())
        // A wait of ten minutes.
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(try written(channel) == nil && channel.isActive)
        idle.restart()
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try written(channel) == nil && channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try written(channel)?.contains("idle_timeout") == true)
    }

    @Test func aStoppedLimitNeverFiresAndCannotBeClaimed() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/kw-idle-test")).wait()
        let idle = IdleLimit(channel: channel, timeout: .seconds(1), peer: "test")
        idle.stop()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try written(channel) == nil && channel.isActive)
        #expect(idle.claimForEviction() == nil && idle.idleSince == nil && !idle.pause())
    }
}
