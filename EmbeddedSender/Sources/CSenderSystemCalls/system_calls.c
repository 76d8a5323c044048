// The system calls that the signed start makes and the unsigned one does not, for the embedded
// sender, through glibc's syscall(2) rather than through its wrappers (Documentation/architecture.md,
// "The embedded sender").
//
// A process's first call into a part of glibc that it has not used yet costs a page fault, in
// which the kernel maps the 64 kB around the address: 2.5 us on this machine, against 0.2 to
// 0.9 us for a system call. The unsigned start touches glibc's socket and sendto, and syscall(2)
// lies near them (38 kB away in Debian 12's glibc); the wrappers of open, fstat, read and close
// lie elsewhere, clock_gettime elsewhere again, with the vDSO's data page behind it. Through
// syscall(2), the signed start faults in no more of glibc than the unsigned one (52 faults
// against 55 before, `perf stat -e page-faults`), and its first datagram leaves 7 us sooner
// (Documentation/performance.md, row 9). The sender reads the clock once a message, so the
// vDSO's speed does not matter to it.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "CSenderSystemCalls.h"

// x86-64, the architecture the packages are built for: its kernel's struct stat and struct
// timespec are glibc's. Elsewhere the sender calls glibc's wrappers.
#if defined(__x86_64__)
int kdump_watch_system_open(const char *path, int flags) { return (int)syscall(SYS_openat, AT_FDCWD, path, flags); }

int kdump_watch_system_fstat(int descriptor, struct stat *info) { return (int)syscall(SYS_fstat, descriptor, info); }

ssize_t kdump_watch_system_read(int descriptor, void *buffer, size_t count) {
    return (ssize_t)syscall(SYS_read, descriptor, buffer, count);
}

int kdump_watch_system_close(int descriptor) { return (int)syscall(SYS_close, descriptor); }

int kdump_watch_system_clock_gettime(clockid_t clock, struct timespec *time) {
    return (int)syscall(SYS_clock_gettime, clock, time);
}
#else
int kdump_watch_system_open(const char *path, int flags) { return open(path, flags); }

int kdump_watch_system_fstat(int descriptor, struct stat *info) { return fstat(descriptor, info); }

ssize_t kdump_watch_system_read(int descriptor, void *buffer, size_t count) { return read(descriptor, buffer, count); }

int kdump_watch_system_close(int descriptor) { return close(descriptor); }

int kdump_watch_system_clock_gettime(clockid_t clock, struct timespec *time) { return clock_gettime(clock, time); }
#endif
