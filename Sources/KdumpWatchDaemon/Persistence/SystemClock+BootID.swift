import KdumpConfiguration
import KdumpDecision

extension SystemClock {
    /// The kernel's identifier of this boot; monotonic readings are comparable only within it.
    public static func bootID() -> String {
        ((try? SystemFile.readText("/proc/sys/kernel/random/boot_id", limit: 128)) ?? "").trimmingSpaces()
            .filter { $0 != "\n" }
    }
}
