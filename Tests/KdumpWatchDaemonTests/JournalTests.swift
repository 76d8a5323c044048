import KdumpWatchDaemon
import Logging
import Testing

@Suite struct JournalTests {
    @Test func entriesCarryPriorityIdentifierAndUpperCaseFields() {
        let fields = DaemonLogHandler.journalFields(
            level: .notice, message: "node2 is in kdump",
            metadata: [
                "KDUMP_HOST": "node2", "KDUMP_ADDRESS": "10.0.0.2", "kdump_event": "episode_started", "messages": "1",
                "-x": "y",
            ])
        #expect(fields.prefix(3) == ["MESSAGE=node2 is in kdump", "PRIORITY=5", "SYSLOG_IDENTIFIER=kdump-watchd"])
        #expect(fields.contains("KDUMP_HOST=node2"))
        #expect(fields.contains("KDUMP_ADDRESS=10.0.0.2"))
        #expect(fields.contains("KDUMP_EVENT=episode_started"))
        #expect(fields.contains("MESSAGES=1"))
        #expect(fields.contains("X=y"), "field names are letters, digits and underscores, not starting with one")
    }

    /// Replaced a newline-to-space pass that let `\r\n` (one Character in Swift), `\r` and
    /// escape sequences through.
    @Test func standardErrorLinesStayOneLine() {
        let line = DaemonLogHandler.line(
            level: .warning, message: "cannot resolve 'a\r\nb'", metadata: ["REASON": "x\u{1B}[2Jy", "n": "1"])
        #expect(line == #"warning: cannot resolve 'a\r\nb' REASON=x\u{1B}[2Jy n=1"#)
    }

    @Test func metadataCannotOverrideTheEntrysOwnFields() {
        let fields = DaemonLogHandler.journalFields(
            level: .error, message: "m", metadata: ["priority": "7", "message": "x"])
        #expect(fields == ["MESSAGE=m", "PRIORITY=3", "SYSLOG_IDENTIFIER=kdump-watchd"])
    }
}
