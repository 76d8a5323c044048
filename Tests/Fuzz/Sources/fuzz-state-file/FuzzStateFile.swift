import FuzzSupport
import KdumpDecision
import KdumpState

/// The state-file loader: any bytes either load or fail with one line; what loads survives a
/// write and a reload unchanged, no restored reading lies in the future of "now", and the table
/// takes what loaded without trapping: restored, swept, given new messages of both versions,
/// and asked to confirm (a trap there is a daemon crash-looping on its own file).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStateFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let now = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    do {
        let state = try PersistedState.decode(bytes, currentBootID: "fuzz-boot", now: now)
        for entry in state.entries {
            if let reading = entry.lastSeenMonotonic {
                Fuzz.require(reading <= now, "a restored reading is in the future: \(reading)")
            }
        }
        let reloaded = try PersistedState.decode(state.encoded(), currentBootID: "fuzz-boot", now: now)
        Fuzz.require(reloaded == state, "a loaded state changed when written and reloaded")
        var table = StateTable(
            settings: TableSettings(finishedAfter: .seconds(30), retain: .seconds(86_400), maxHosts: 64))
        for entry in state.entries { table.restore(entry) }
        let later = Timestamp(
            monotonic: now.advanced(by: .seconds(1)),
            wall: WallClockTime(nanosecondsSinceEpoch: 1_796_212_800_000_000_000))
        _ = table.sweep(at: later)
        for entry in state.entries {
            _ = table.confirmingEntry(
                among: [entry.key], requestedAt: later, maxAge: .seconds(30), clockMargin: .seconds(5))
            if entry.authenticated, let node = entry.node {
                _ = table.recordSigned(by: node, phase: .dumping, from: entry.address, sentAt: later.wall, at: later)
            } else {
                _ = table.record(from: entry.address, node: entry.node, at: later)
            }
        }
        _ = table.sweep(
            at: Timestamp(monotonic: later.monotonic.advanced(by: .seconds(86_400 * 400)), wall: later.wall))
    } catch {
        Fuzz.requireOneLine(error)
    }
    return 0
}
