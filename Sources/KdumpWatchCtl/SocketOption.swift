import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct SocketOption: ParsableArguments {
    @Option(
        help: ArgumentHelp("Control socket of kdump-watchd (default: \(ControlSocketPath.system)).", valueName: "path"))
    var socket: String?

    func connect() throws -> ControlClient {
        do {
            return try ControlClient(path: socket ?? ControlSocketPath.forClient())
        } catch {
            throw Failure(status: .unreachable, message: "kdump-watchctl: \(error)")
        }
    }

    func call<Payload: ControlPayload>(
        _ request: ControlRequest, _ type: Payload.Type, timeout: Duration? = .seconds(30)
    ) throws -> Payload {
        let client = try connect()
        do {
            return try client.call(request, expecting: type, timeout: timeout)
        } catch {
            throw Failure(status: Self.status(for: error), message: "kdump-watchctl: \(error)")
        }
    }

    static func status(for error: ControlClientError) -> Status {
        switch error {
        case .unreachable: .unreachable
        case .daemon(let protocolError):
            switch protocolError.code {
            case .badRequest, .unresolvable, .unsupportedVersion, .requestTooLarge: .usage
            case .permissionDenied, .tooManyClients, .shuttingDown: .unreachable
            case .idleTimeout, .internalError: .negative
            }
        case .protocolFailure: .unreachable
        }
    }
}

func printJSON(_ value: some JSONObjectWritable) {
    print(String(decoding: ControlCoding.line(value).dropLast(), as: UTF8.self))
}
