import Glibc
import KdumpState
import Logging

/// A swift-log handler that writes one line per message to standard error.
///
/// Under systemd (`JOURNAL_STREAM` set) each line starts with the syslog priority as `<N>`,
/// which journald turns into the entry's priority; elsewhere it starts with an RFC 3339
/// timestamp. Metadata follows the message as `key=value` pairs in a stable order, so that
/// log searches keep working.
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let underJournal: Bool

    public init(level: Logger.Level) {
        logLevel = level
        underJournal = getenv("JOURNAL_STREAM") != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var line = underJournal ? "<\(Self.priority(event.level))>" : "\(SystemClock.now().wall.rfc3339) "
        line += "\(event.level.rawValue): \(event.message)"
        for key in fields.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(fields[key]!)"))"
        }
        line = String(line.map { $0 == "\n" ? " " : $0 }) + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }

    private static func quoted(_ value: String) -> String {
        value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            ? "\"" + value.replacingQuotes() + "\"" : value
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var result = ""
        for character in self {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
