import Glibc
import KdumpDecision
import KdumpState
import KdumpWire
import Logging

/// The daemon's swift-log handler: structured journal entries under journald, one line per
/// message on standard error elsewhere.
///
/// In the journal every metadata key becomes a field (``journalFields(level:message:metadata:)``).
/// On standard error a line starts with the syslog priority as `<N>` when `JOURNAL_STREAM` is
/// set (journald then takes the priority from it) and with an RFC 3339 timestamp otherwise;
/// metadata follows the message as `key=value` pairs in a stable order, so that log searches
/// keep working.
public struct DaemonLogHandler: LogHandler {
    /// Where the messages go.
    public enum Output: Sendable {
        case standardError
        case journal
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let output: Output
    private let underJournal: Bool

    public init(level: Logger.Level, output: Output) {
        logLevel = level
        self.output = output
        underJournal = getenv("JOURNAL_STREAM") != nil
    }

    /// The journal when standard error is connected to it, standard error otherwise.
    public init(level: Logger.Level) {
        self.init(level: level, output: Systemd.stderrIsJournal ? .journal : .standardError)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        if case .journal = output {
            Systemd.sendToJournal(Self.journalFields(level: event.level, message: "\(event.message)", metadata: fields))
            return
        }
        let prefix = underJournal ? "<\(Self.priority(event.level))>" : "\(SystemClock.now().wall.rfc3339) "
        let line = prefix + Self.line(level: event.level, message: "\(event.message)", metadata: fields) + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }

    /// `level: message key=value …`, one line whatever the message and values hold: they may
    /// quote what a datagram, a client or a file brought (`String.oneLineMessage`).
    public static func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(level.rawValue): \(message.oneLineMessage)"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(metadata[key]!)".oneLineMessage))"
        }
        return line
    }

    private static func quoted(_ value: String) -> String {
        value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            ? "\"" + escapingQuotes(value) + "\"" : value
    }

    /// `value` with `"` and `\` escaped by a backslash.
    private static func escapingQuotes(_ value: String) -> String {
        var result = ""
        for character in value {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
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
