import CSystemd
import Glibc
import Logging

/// The daemon's side of systemd's protocols, through libsystemd: readiness and status
/// notification, the watchdog, socket activation and the journal. Every call is a no-op when
/// the daemon does not run under systemd.
public enum Systemd {
    /// Sends a notification (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`; several may be
    /// joined by newlines). Ignored without `NOTIFY_SOCKET`.
    public static func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// Half the watchdog interval systemd asked for (`WatchdogSec=`), nil when it asked for none.
    public static func watchdogPingInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    /// A socket passed by systemd (`kdump-watchd.socket`).
    public struct InheritedSocket: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case datagram
            case stream
        }

        public var descriptor: Int32
        /// `FileDescriptorName=` of the socket unit, or `unknown`.
        public var name: String
        public var kind: Kind
    }

    /// The sockets systemd passed (`LISTEN_FDS`), taken once: the environment variables are
    /// removed so that child processes do not see them.
    ///
    /// The socket unit names them `udp` and `control` (`FileDescriptorName=`) for the logs; what
    /// a socket is used for follows from its type, so a unit that names them differently (or a
    /// nested `systemd-socket-activate` that names every socket alike) still works.
    public static func inheritedSockets() -> [InheritedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            for index in 0..<Int(count) { free(names?[index]) }
            free(names)
        }
        return (0..<count).map { index in
            let descriptor = SD_LISTEN_FDS_START + index
            let name = names?[Int(index)].map { String(cString: $0) } ?? "unknown"
            var type: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length)
            let kind: InheritedSocket.Kind = type == Int32(SOCK_DGRAM.rawValue) ? .datagram : .stream
            return InheritedSocket(descriptor: descriptor, name: name, kind: kind)
        }
    }

    /// Whether standard error is connected to the journal (`JOURNAL_STREAM` names it).
    public static var stderrIsJournal: Bool {
        guard let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }
}

extension Systemd {
    /// Sends one structured entry to the journal.
    static func sendToJournal(_ fields: [String]) {
        // sd_journal_send is variadic and not imported; sd_journal_sendv takes an iovec array.
        var buffers = fields.map { Array($0.utf8) }
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        for index in buffers.indices {
            buffers[index].withUnsafeMutableBytes { raw in
                vectors.append(iovec(iov_base: raw.baseAddress, iov_len: raw.count))
            }
        }
        // The iovecs point into `buffers`, which stay alive and unmoved until the call returns.
        withExtendedLifetime(buffers) {
            _ = sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}
