import CMalloc
import Glibc

/// glibc malloc settings for a small long-running daemon, applied by `kdump-watchd` before it
/// starts any thread.
///
/// - One arena: glibc otherwise gives every thread an arena of its own, and each keeps the
///   memory it once used (private memory with 4096 hosts: 8.4 MiB with the default, 5.5 MiB
///   with one arena).
/// - A fixed 128 KiB mmap threshold: the state file's buffers (250 KiB with 1000 hosts) are
///   mapped and unmapped instead of raising glibc's dynamic threshold and staying in the heap
///   after use (a further 0.9 MiB with 4096 hosts; Documentation/performance.md).
///
/// A setting that the environment gives (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) wins.
public enum MemoryAllocator {
    public static func configureForDaemon() {
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(M_ARENA_MAX, 1) }
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(M_MMAP_THRESHOLD, 128 << 10) }
    }
}
