import Glibc

/// The agent's log: `[level]: message` lines on stderr, which `pacemaker-fenced` records, and
/// the same messages to syslog (the journal under systemd), as upstream `fence_kdump` does.
///
/// Errors, warnings and the upstream-worded progress lines (`waiting for message from 'X'`,
/// `received valid message from 'X'`, `timeout after N seconds`) are always written; `-v` adds
/// debug lines.
public struct AgentLog: Sendable {
    public let verbosity: Int

    public init(identifier: String, verbosity: Int) {
        self.verbosity = verbosity
        // openlog keeps the pointer: the identifier must live as long as the process.
        openlog(strdup(identifier), LOG_PID, LOG_DAEMON)
    }

    public func error(_ message: String) { emit("error", LOG_ERR, message) }
    public func warning(_ message: String) { emit("warning", LOG_WARNING, message) }
    public func info(_ message: String) { emit("info", LOG_INFO, message) }

    public func debug(_ message: String) {
        guard verbosity > 0 else { return }
        emit("debug", LOG_DEBUG, message)
    }

    private func emit(_ label: String, _ priority: Int32, _ message: String) {
        let line = "[\(label)]: \(message)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
        // syslog(3) is variadic and not imported into Swift; vsyslog with one "%s" argument is.
        message.withCString { text in
            withVaList([text]) { vsyslog(priority, "%s", $0) }
        }
    }
}
