import NIOCore

/// One accepted control connection, wrapped for async use, with what was learnt at accept time.
struct ControlConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let credentials: PeerCredentials?
    /// Completes when the client closes its sending side or the connection goes away.
    let inputClosed: EventLoopFuture<Void>
}
