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

/// Once a second: announces finished episodes, drops expired entries, refreshes gauges.
struct Maintenance: Service, CustomStringConvertible {
    let context: DaemonContext
    var description: String { "Maintenance" }

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await context.tracker.sweep()
                await context.refreshGauges()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

extension DaemonMetrics {
    /// Counts the episodes that `change` begins or ends.
    func count(_ change: TableEvent) {
        switch change.kind {
        case .episodeStarted: episodesStarted.increment()
        case .finished:
            switch change.entry.phase {
            case .finished?: episodesFinished.increment()
            case .failed?: episodesFailed.increment()
            default: episodesSilent.increment()
            }
        case .message, .expired, .forgotten, .evicted: break
        }
    }
}

extension DaemonContext {
    /// Brings the host and wait gauges up to date.
    func refreshGauges() async {
        let counts = await tracker.stateCounts()
        metrics.hostsDumping.set(Int64(counts.dumping))
        metrics.hostsFinished.set(Int64(counts.finished))
    }
}

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

/// Re-reads the configuration on SIGHUP; a bad new configuration is rejected and the old one
/// kept.
struct Reloader: Service, CustomStringConvertible {
    let signals: UnixSignalsSequence
    let context: DaemonContext
    var description: String { "Reloader" }
    let load: @Sendable () throws -> DaemonConfiguration

    func run() async {
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await reload()
            }
        }
    }

    private func reload() async {
        let logger = context.logger
        let current = context.runtime
        do {
            // Reading files and resolving node names block: off Swift's cooperative threads, so
            // that a resolver that hangs during SIGHUP cannot stall the fence waits.
            let configuration = try await NIOThreadPool.singleton.runIfActive { try load() }
            var newLogger = current.logger
            newLogger.logLevel = configuration.logLevel
            // Keys that only a restart applies (sockets, directories) keep their current values.
            var applied = configuration
            var restartOnly: [String] = []
            for key in ConfigurationKey.restartOnly where key.differs(configuration, from: current.configuration) {
                restartOnly.append(key.name)
                key.copy(from: current.configuration, to: &applied)
            }
            let (settings, runtimeLogger) = (applied, newLogger)
            let runtime = try await NIOThreadPool.singleton.runIfActive {
                try RuntimeSettings.load(settings, logger: runtimeLogger)
            }
            let directory = runtime.directory
            context.replace(runtime)
            context.replay.setCapacity(applied.maxHosts)
            await context.tracker.update(settings: applied.tableSettings)
            await context.tracker.update(nodeNames: directory.nameByAddress)
            // A narrowed `allow` applies to what is in the table too: an entry last heard from a
            // sender it no longer admits must not confirm a fence within its max_age.
            let disallowed = await context.tracker.keys { !runtime.allow.admits($0.address) }
            if !disallowed.isEmpty {
                let dropped = await context.tracker.forget(disallowed)
                newLogger.warning(
                    "allow no longer admits \(dropped.map { $0.entry.node ?? $0.entry.address.description }.joined(separator: ", ")): their entries were dropped"
                )
            }
            if !restartOnly.isEmpty {
                newLogger.warning(
                    "configuration reloaded, but \(restartOnly.joined(separator: ", ")) take effect only after a restart"
                )
            }
            newLogger.notice(
                "configuration reloaded: \(directory.addressesByName.count) nodes, auth \(applied.auth.rawValue), allow \(applied.allow.isEmpty ? "any" : applied.allow.map(\.description).joined(separator: ","))"
            )
        } catch {
            logger.error("configuration reload failed, keeping the current configuration: \(error)")
        }
    }
}

/// Tells systemd how the daemon is doing: `READY=1` once every socket is bound, a one-line
/// `STATUS=` ("2 hosts dumping, 0 waits") whenever it changes, `WATCHDOG=1` at half the
/// `WatchdogSec=` interval, and `STOPPING=1` as soon as a shutdown begins.
struct SystemdNotifier: Service, CustomStringConvertible {
    let context: DaemonContext
    var description: String { "SystemdNotifier" }

    func run() async {
        let watchdog = Systemd.watchdogPingInterval()
        var lastStatus = await status()
        Systemd.notify("READY=1\nSTATUS=\(lastStatus)")
        await withGracefulShutdownHandler {
            let tick = min(watchdog ?? .seconds(1), .seconds(1))
            var sinceWatchdog = Duration.zero
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: tick)
                sinceWatchdog += tick
                if let watchdog, sinceWatchdog >= watchdog {
                    Systemd.notify("WATCHDOG=1")
                    sinceWatchdog = .zero
                }
                let current = await status()
                if current != lastStatus {
                    Systemd.notify("STATUS=\(current)")
                    lastStatus = current
                }
            }
        } onGracefulShutdown: {
            Systemd.notify("STOPPING=1\nSTATUS=shutting down")
        }
    }

    private func status() async -> String {
        let dumping = await context.tracker.stateCounts().dumping
        let waits = await context.tracker.waitsInFlight
        return "\(dumping) host\(dumping == 1 ? "" : "s") dumping, \(waits) wait\(waits == 1 ? "" : "s")"
    }
}
