import FuzzSupport
import KdumpDecision
import KdumpState

/// The state-file loader: any bytes either load or fail with one line; what loads survives a
/// write and a reload unchanged, and no restored reading lies in the future of "now".
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
    } catch {
        Fuzz.requireOneLine(error)
    }
    return 0
}
