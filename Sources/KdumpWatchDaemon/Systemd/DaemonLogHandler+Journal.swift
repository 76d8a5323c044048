import CSystemd
import Glibc
import Logging

extension DaemonLogHandler {
    /// The fields of one journal entry: `MESSAGE=`, `PRIORITY=`, `SYSLOG_IDENTIFIER=kdump-watchd`,
    /// and every metadata key in upper case (`KDUMP_HOST=`, `KDUMP_ADDRESS=`, `KDUMP_EVENT=`, …),
    /// so that `journalctl -u kdump-watchd KDUMP_HOST=node2` finds a node's history. Field names
    /// are upper case letters, digits and `_`; metadata cannot override the first three.
    public static func journalFields(level: Logger.Level, message: String, metadata: Logger.Metadata) -> [String] {
        var result = ["MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=kdump-watchd"]
        for key in metadata.keys.sorted() {
            let name = String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }).drop { $0 == "_" }
            guard !name.isEmpty, !["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"].contains(String(name)) else { continue }
            result.append("\(name)=\(metadata[key]!)")
        }
        return result
    }
}
