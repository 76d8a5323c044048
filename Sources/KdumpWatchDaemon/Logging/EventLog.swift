import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import KdumpWire
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals

/// Writes table events and invalid datagrams to the log, with the structured fields
/// `KDUMP_EVENT`, `KDUMP_HOST` and `KDUMP_ADDRESS`.
///
/// Invalid datagrams are logged at most once per source per minute, so a flood cannot flood
/// the journal; they are all counted in the metrics regardless.
struct EventLog: Service, CustomStringConvertible {
    let events: AsyncStream<TrackerEvent>
    let context: DaemonContext
    var description: String { "EventLog" }
    static let invalidLogInterval: Duration = .seconds(60)
    /// The most sources whose invalid datagrams are logged one by one per interval.
    static let invalidLogSources = 10_000

    func run() async {
        await cancelWhenGracefulShutdown {
            // Below the control sessions: under a flood, a fence request is answered before the
            // log catches up (invalid datagrams are logged once a minute per source anyway).
            await withDiscardingTaskGroup { group in
                group.addTask(priority: .low) {
                    var throttle = InvalidDatagramLogThrottle(
                        interval: Self.invalidLogInterval, capacity: Self.invalidLogSources)
                    for await event in events {
                        let logger = context.logger
                        switch event {
                        case .table(let change, _):
                            context.metrics.count(change)
                            // Build an entry only when its level is logged: under a flood of new sources
                            // thousands of these arrive, and most levels are filtered anyway.
                            let level: Logger.Level =
                                switch change.kind {
                                case .episodeStarted, .finished: .notice
                                case .message: .debug
                                case .expired, .forgotten: .info
                                case .evicted: .warning
                                }
                            if level < logger.logLevel { continue }
                            let entry = change.entry
                            let name = entry.node ?? entry.address.description
                            var metadata: Logger.Metadata = [
                                "KDUMP_EVENT": "\(change.kind.rawValue)", "KDUMP_HOST": "\(entry.node ?? "")",
                                "KDUMP_ADDRESS": "\(entry.address)", "messages": "\(entry.messages)",
                                "KDUMP_AUTH": "\(entry.authenticated)",
                            ]
                            if let phase = entry.phase { metadata["KDUMP_PHASE"] = "\(phase)" }
                            let signed = entry.authenticated ? "signed " : ""
                            switch change.kind {
                            case .episodeStarted:
                                logger.notice(
                                    "\(name) is in kdump: first \(signed)message from \(entry.address)\(entry.phase.map { ", phase \($0)" } ?? "")",
                                    metadata: metadata)
                            case .message:
                                logger.debug(
                                    "\(signed)message from \(name) (\(entry.address))\(entry.phase.map { ", phase \($0)" } ?? "")",
                                    metadata: metadata)
                            case .finished:
                                let ending =
                                    switch entry.phase {
                                    case .finished?: "'s capture kernel says the dump finished"
                                    case .failed?: "'s capture kernel says the dump FAILED"
                                    default: " stopped sending"
                                    }
                                logger.notice(
                                    "\(name)\(ending): kdump episode since \(entry.firstSeen.rfc3339) finished",
                                    metadata: metadata)
                            case .expired:
                                logger.info("\(name) removed from the table after retain", metadata: metadata)
                            case .evicted:
                                logger.warning("\(name) evicted: the table is full (max_hosts)", metadata: metadata)
                            case .forgotten:
                                break  // logged by the control session with who asked
                            }
                        case .invalid(let reason, let source, _, _, let detail):
                            switch throttle.decide(source, at: .now) {
                            case .quiet: continue
                            case .tooManySources:
                                logger.warning(
                                    "invalid datagrams from more than \(Self.invalidLogSources) sources within 60 s (a flood of spoofed sources?): further sources are counted, not logged",
                                    metadata: ["KDUMP_EVENT": "invalid"])
                                continue
                            case .log: break
                            }
                            logger.warning(
                                "invalid datagram from \(source): \(reason.rawValue)\(detail.map { " (\($0))" } ?? "") (further ones from it are counted, not logged, for 60 s)",
                                metadata: [
                                    "KDUMP_EVENT": "invalid", "KDUMP_ADDRESS": "\(source)",
                                    "reason": "\(reason.rawValue)",
                                ])
                        }
                    }
                }
            }
        }
    }
}
