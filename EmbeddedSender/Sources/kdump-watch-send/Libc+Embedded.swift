import CLibc

// What Glibc's Swift module adds to the C headers and the sender's sources use: the embedded
// build has no such module (Documentation/architecture.md, "The embedded sender").

/// The calling thread's errno.
var errno: Int32 { kdump_watch_errno() }

/// open(2) without a mode; C's is variadic, which Swift cannot call.
func open(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { kdump_watch_open(path, flags) }

/// signal(2)'s SIG_IGN, a cast in C.
var SIG_IGN: __sighandler_t { unsafeBitCast(1, to: __sighandler_t.self) }
