import Glibc
import KdumpConfiguration
import KdumpControl
import KdumpState
import KdumpWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Serves the control socket (Documentation/control-protocol.md): accepts connections, checks their credentials and
/// runs one ``ControlSession`` per client.
struct ControlServer: Service, CustomStringConvertible {
    typealias ServerChannel = NIOAsyncChannel<ControlConnection, Never>

    let server: ServerChannel
    let context: DaemonContext
    let access: ControlAccess
    var description: String { "ControlServer(\(server.channel.localAddress.map { "\($0)" } ?? "?"))" }

    /// Fails when a live daemon listens at `path`; a stale socket file is fine (``bind(path:group:)``
    /// replaces it).
    static func ensureUnused(path: String) throws {
        if SystemFile.exists(path), (try? ControlClient(path: path)) != nil {
            throw DaemonFailure("another daemon is already listening on \(path)")
        }
    }

    /// Binds the socket at `path`, replacing a stale socket file.
    static func bind(path: String, group: any EventLoopGroup) async throws -> ServerChannel {
        try await bootstrap(group).bind(
            unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: acceptConnection)
    }

    /// Adopts a listening socket created by systemd (`ListenStream=`).
    static func adopt(descriptor: Int32, group: any EventLoopGroup) async throws -> ServerChannel {
        try await bootstrap(group).bind(descriptor, childChannelInitializer: acceptConnection)
    }

    private static func bootstrap(_ group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
    }

    /// Reads the peer's credentials and wraps the connection for async use.
    @Sendable private static func acceptConnection(_ channel: any Channel) -> EventLoopFuture<ControlConnection> {
        let inputClosed = channel.eventLoop.makePromise(of: Void.self)
        let credentials: EventLoopFuture<PeerCredentials?>
        if let provider = channel as? any SocketOptionProvider {
            credentials = provider.unsafeGetSocketOption(
                level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)
            ).map { (value: PeerCredentials) in Optional(value) }.recover { _ in nil }
        } else {
            credentials = channel.eventLoop.makeSucceededFuture(nil)
        }
        return credentials.flatMapThrowing { credentials in
            try channel.pipeline.syncOperations.addHandler(InputClosedNotifier(promise: inputClosed))
            return ControlConnection(
                channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel),
                credentials: credentials, inputClosed: inputClosed.futureResult)
        }
    }

    func run() async throws {
        let server = self.server
        let context = self.context
        let access = self.access
        // The accept loop runs in a task that cancellation does not reach: a cancelled loop would
        // drop connections accepted but not yet handed out, and NIO traps on an async channel that
        // is dropped without being closed. Shutdown and cancellation close the listening socket
        // instead; the loop then hands out what was already accepted, and ends.
        let acceptLoop = Task {
            try await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask {
                                await ControlSession(connection: connection, context: context, access: access).run()
                            }
                        }
                    } catch {
                        context.logger.error("control socket failed: \(error)")
                    }
                    // Running waits and watches answer `shutting_down` and end.
                    group.cancelAll()
                }
            }
        }
        let listening = server.channel
        let outcome = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await acceptLoop.result
            } onGracefulShutdown: {
                listening.close(promise: nil)
            }
        } onCancel: {
            listening.close(promise: nil)
        }
        try outcome.get()
    }
}
