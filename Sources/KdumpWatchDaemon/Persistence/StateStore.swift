import KdumpAdmission
import KdumpConfiguration
import KdumpDecision
import KdumpState
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Reads and writes the state file (`state.json` in `state_dir`).
struct StateStore: Sendable {
    let directory: String
    /// The kernel's boot id, read once: it cannot change while the daemon runs.
    let bootID = SystemClock.bootID()
    var path: String { directory + "/state.json" }

    /// The persisted entries and replay records; a damaged or foreign file is moved aside
    /// (never a crash loop) and the daemon starts empty.
    func load(logger: Logger) -> (entries: [HostEntry], replay: [String: ReplayGuard.Record]) {
        guard SystemFile.exists(path) else { return ([], [:]) }
        do {
            let bytes = try SystemFile.readBytes(path, limit: 64 << 20)
            let now = SystemClock.now()
            let state = try PersistedState.decode(bytes, currentBootID: bootID, now: now.monotonic)
            return (state.entries, state.replay)
        } catch {
            let aside = path + ".bad-" + SystemClock.now().wall.rfc3339.filter { $0 != ":" }
            let moved = FileIO.rename(path, to: aside)
            logger.error(
                "cannot load state file \(path): \(error); \(moved ? "moved it to \(aside)" : "could not move it aside") and starting with an empty table"
            )
            return ([], [:])
        }
    }

    func save(_ entries: [HostEntry], replay: [String: ReplayGuard.Record]) throws {
        let state = PersistedState(
            bootID: bootID, writtenAt: SystemClock.now().wall, entries: entries.sorted { $0.key < $1.key },
            replay: replay)
        try FileIO.replaceAtomically(path, with: state.encoded(), mode: 0o640)
    }
}
