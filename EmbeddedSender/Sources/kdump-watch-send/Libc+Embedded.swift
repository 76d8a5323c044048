import CLibc
import CSenderSystemCalls

// What Glibc's Swift module adds to the C headers and the sender's sources use: the embedded
// build has no such module (Documentation/architecture.md, "The embedded sender").

/// The calling thread's errno.
var errno: Int32 { kdump_watch_errno() }

/// signal(2)'s SIG_IGN, a cast in C.
var SIG_IGN: __sighandler_t { unsafeBitCast(1, to: __sighandler_t.self) }

// The calls of the signed start that glibc's wrappers would make cost page faults: these
// shadow the C library's in this module and go through syscall(2) (system_calls.c says why).

/// open(2) without a mode (C's is variadic, which Swift cannot call).
func open(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { kdump_watch_system_open(path, flags) }

/// fstat(2).
func fstat(_ descriptor: Int32, _ info: UnsafeMutablePointer<stat>) -> Int32 {
    kdump_watch_system_fstat(descriptor, info)
}

/// read(2).
func read(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    kdump_watch_system_read(descriptor, buffer, count)
}

/// close(2).
@discardableResult
func close(_ descriptor: Int32) -> Int32 { kdump_watch_system_close(descriptor) }

/// clock_gettime(2).
@discardableResult
func clock_gettime(_ clock: clockid_t, _ time: UnsafeMutablePointer<timespec>) -> Int32 {
    kdump_watch_system_clock_gettime(clock, time)
}
