import Foundation
import KdumpAdmission
import KdumpAuth
import KdumpConfiguration
import KdumpControl
import KdumpState
import KdumpWire
import Synchronization
import Testing

@testable import KdumpWatchDaemon

/// The control protocol's requests answered in-process, over a daemon context and without a
/// socket (Documentation/control-protocol.md): each answer is one line to the reply closure.
@Suite struct ControlRequestHandlerTests {
    /// The lines a handler wrote, decoded.
    final class Replies: Sendable {
        private let lines = Mutex<[[UInt8]]>([])
        var reply: @Sendable ([UInt8]) -> Void { { line in self.lines.withLock { $0.append(line) } } }
        var objects: [[String: Any]] {
            lines.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        }
        var last: [String: Any]? { objects.last }
    }

    func request(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test func statusForgetAndHealthAnswerFromTheContext() async throws {
        let context = DaemonContext.forTesting()
        let handler = ControlRequestHandler(context: context)
        let replies = Replies()
        await context.tracker.recordValid(from: HostAddress("127.0.0.2")!)
        let next = await handler.handle(
            request(#"{"v":1,"op":"status","id":"s"}"#), clientGone: WaitCancellation(), reply: replies.reply)
        #expect(next == .keepOpen)
        let status = try #require(replies.last)
        #expect(status["id"] as? String == "s")
        let hosts = try #require(status["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["address"] as? String } == ["127.0.0.2"])

        _ = await handler.handle(
            request(#"{"v":1,"op":"forget","hosts":["127.0.0.2"]}"#), clientGone: WaitCancellation(),
            reply: replies.reply)
        #expect((replies.last?["forgotten"] as? [[String: Any]])?.count == 1)
        #expect(await context.tracker.snapshot().isEmpty)

        _ = await handler.handle(
            request(#"{"v":1,"op":"health"}"#), clientGone: WaitCancellation(), reply: replies.reply)
        #expect(replies.last?["version"] as? String == "test")
    }

    @Test func aWaitIsAnsweredOnceConfirmedOrAtItsTimeout() async throws {
        let context = DaemonContext.forTesting()
        let handler = ControlRequestHandler(context: context)
        let replies = Replies()
        await context.tracker.recordValid(from: HostAddress("127.0.0.2")!)
        let confirmed = await handler.handle(
            request(#"{"v":1,"op":"wait","targets":["127.0.0.2"],"timeout":5}"#), clientGone: WaitCancellation(),
            reply: replies.reply)
        #expect(confirmed == .keepOpen)
        #expect(replies.last?["result"] as? String == "confirmed")
        #expect(replies.last?["target"] as? String == "127.0.0.2")
        let timedOut = await handler.handle(
            request(#"{"v":1,"op":"wait","targets":["127.0.0.3"],"timeout":0.05}"#), clientGone: WaitCancellation(),
            reply: replies.reply)
        #expect(timedOut == .keepOpen)
        #expect(replies.last?["result"] as? String == "timeout")
        #expect(replies.objects.count == 2, "one answer each")
    }

    @Test func aWaitWhoseClientWentAwayIsAnsweredToNobody() async {
        let context = DaemonContext.forTesting()
        let handler = ControlRequestHandler(context: context)
        let replies = Replies()
        let gone = WaitCancellation()
        gone.cancel()
        let next = await handler.handle(
            request(#"{"v":1,"op":"wait","targets":["127.0.0.9"],"timeout":30}"#), clientGone: gone,
            reply: replies.reply)
        #expect(next == .close)
        #expect(replies.objects.isEmpty)
        #expect(await context.tracker.waitsInFlight == 0)
    }

    /// Under `auth = required` a target given as an address confirms only through the node
    /// `nodes` gives it; an address no node has is an error, and nothing waits.
    @Test func underRequiredAnAddressNoNodeHasIsAnError() async throws {
        let (directory, _) = try NodeDirectory.load(
            .list([NodeSpec(name: "node-a", addresses: [HostAddress("127.0.6.1")!])]))
        let context = DaemonContext.forTesting(
            directory: directory,
            authentication: Authentication(
                mode: .required, keys: MessageKeys([AuthKey(bytes: Array(0..<32))!]), window: .seconds(120)))
        let handler = ControlRequestHandler(context: context)
        let replies = Replies()
        _ = await handler.handle(
            request(#"{"v":1,"op":"wait","targets":["127.0.6.9"],"timeout":1}"#), clientGone: WaitCancellation(),
            reply: replies.reply)
        let error = try #require(replies.last?["error"] as? [String: Any])
        #expect(error["code"] as? String == "unresolvable")
        #expect((error["message"] as? String)?.contains("is the address of no node in 'nodes'") == true)
        #expect(try await context.confirmingKeys(for: "127.0.6.1", family: .auto) == [.node("node-a")])
        #expect(
            try await context.selectionKeys(for: "127.0.6.1", family: .auto) == [
                .address(HostAddress("127.0.6.1")!), .node("node-a"),
            ])
    }

    @Test func badLinesAreAnsweredWithAnErrorAndWatchIsTheSessionsPart() async {
        let handler = ControlRequestHandler(context: DaemonContext.forTesting())
        let replies = Replies()
        #expect(await handler.handle(request("{"), clientGone: WaitCancellation(), reply: replies.reply) == .keepOpen)
        #expect(replies.last?["error"] != nil)
        let watch = await handler.handle(
            request(#"{"v":1,"op":"watch"}"#), clientGone: WaitCancellation(), reply: replies.reply)
        guard case .watch = watch else {
            Issue.record("watch not handed to the session: \(watch)")
            return
        }
        #expect(replies.objects.count == 1, "the session answers a watch")
    }
}
