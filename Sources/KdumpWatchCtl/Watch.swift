import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print events as they happen: new episodes, messages, finished episodes, invalid datagrams.")

    @OptionGroup var connection: SocketOption
    @Flag(help: "Print each event as one JSON object per line.") var json = false

    func run() throws {
        let client = try connection.connect()
        do {
            try client.send(ControlRequest(op: .watch))
            guard let first = try client.readLine() else {
                throw ControlClientError.protocolFailure("connection closed")
            }
            _ = try ControlClient.decodeResponse(first, as: EmptyPayload.self)
            while let line = try client.readLine() {
                if json {
                    print(String(decoding: line, as: UTF8.self))
                } else if let event = try? ControlCoding.decode(WatchEvent.self, from: line) {
                    print(Self.describe(event))
                }
                fflush(nil)
            }
        } catch let error as ControlClientError {
            throw Failure(status: SocketOption.status(for: error), message: "kdump-watchctl: \(error)")
        }
        throw Failure(status: .unreachable, message: "kdump-watchctl: kdump-watchd closed the connection")
    }

    static func describe(_ event: WatchEvent) -> String {
        if let host = event.host {
            let name = host.node.map { "\($0) (\(host.address))" } ?? host.address
            let signed = host.auth ? " signed phase=\(host.phase ?? "?")" : ""
            return
                "\(event.time)  \(event.event)  \(name)  state=\(host.state.rawValue) messages=\(host.messages) since=\(host.firstSeen)\(signed)"
        }
        let count = event.count.map { " count=\($0)" } ?? ""
        return "\(event.time)  \(event.event)  \(event.source ?? "?")  reason=\(event.reason ?? "?")\(count)"
    }
}
