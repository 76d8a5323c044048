import NIOCore
import NIOEmbedded
import Testing

@testable import KdumpWatchDaemon

@Suite struct ControlClientsTests {
    func client(on channel: EmbeddedChannel, _ name: String) -> IdleLimit {
        IdleLimit(channel: channel, timeout: .seconds(600), peer: name)
    }

    @Test func belowTheLimitEveryoneIsAdmitted() throws {
        let channel = EmbeddedChannel()
        let clients = ControlClients()
        let first = try #require(clients.admit(client(on: channel, "a"), limit: 2))
        let second = try #require(clients.admit(client(on: channel, "b"), limit: 2))
        #expect(first.evicted == nil && second.evicted == nil && first.0 != second.0)
        #expect(clients.count == 2)
        #expect(clients.release(first.0))
        #expect(!clients.release(first.0))
        #expect(clients.count == 1)
    }

    @Test func aFullDaemonClosesTheClientIdleLongestAndNeverABusyOne() throws {
        let channel = EmbeddedChannel()
        let loop = channel.embeddedEventLoop
        let clients = ControlClients()
        let busyOldest = client(on: channel, "busy")
        loop.advanceTime(by: .seconds(1))
        let idleOld = client(on: channel, "old")
        loop.advanceTime(by: .seconds(1))
        let idleNew = client(on: channel, "new")
        loop.advanceTime(by: .seconds(1))
        let ids = try [busyOldest, idleOld, idleNew].map { try #require(clients.admit($0, limit: 3)).0 }
        #expect(busyOldest.pause())
        let admitted = try #require(clients.admit(client(on: channel, "newcomer"), limit: 3))
        #expect(admitted.evicted?.client.peer == "old")
        #expect(admitted.evicted?.idleSeconds == 2)
        // The evicted client starts nothing more, and its place is gone with it.
        #expect(!idleOld.pause())
        #expect(!clients.release(ids[1]))
        #expect(clients.count == 3)
        // Next in line: the newer idle one; the busy one never.
        #expect(try #require(clients.admit(client(on: channel, "x"), limit: 3)).evicted?.client.peer == "new")
    }

    @Test func whenEveryClientIsBusyTheNewcomerIsRefused() throws {
        let channel = EmbeddedChannel()
        let clients = ControlClients()
        let one = client(on: channel, "one")
        _ = try #require(clients.admit(one, limit: 1))
        #expect(one.pause())
        #expect(clients.admit(client(on: channel, "two"), limit: 1) == nil)
        // Between two requests it is idle again, and may make room.
        one.restart()
        #expect(clients.admit(client(on: channel, "three"), limit: 1)?.evicted?.client.peer == "one")
    }
}
