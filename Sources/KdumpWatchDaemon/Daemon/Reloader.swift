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
            context.readinessRequests.continuation.yield()
            newLogger.notice(
                "configuration reloaded: \(directory.addressesByName.count) nodes, auth \(applied.auth.rawValue), allow \(applied.allow.isEmpty ? "any" : applied.allow.map(\.description).joined(separator: ","))"
            )
        } catch {
            logger.error("configuration reload failed, keeping the current configuration: \(error)")
        }
    }
}
