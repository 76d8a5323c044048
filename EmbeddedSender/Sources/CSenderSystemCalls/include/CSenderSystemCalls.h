#ifndef KDUMP_WATCH_SENDER_SYSTEM_CALLS_H
#define KDUMP_WATCH_SENDER_SYSTEM_CALLS_H

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/// openat(AT_FDCWD, path, flags) through syscall(2); -1 and errno on failure, as open(2).
int kdump_watch_system_open(const char *path, int flags);

/// fstat(2) through syscall(2).
int kdump_watch_system_fstat(int descriptor, struct stat *info);

/// read(2) through syscall(2).
ssize_t kdump_watch_system_read(int descriptor, void *buffer, size_t count);

/// close(2) through syscall(2).
int kdump_watch_system_close(int descriptor);

/// clock_gettime(2) through syscall(2), not the vDSO.
int kdump_watch_system_clock_gettime(clockid_t clock, struct timespec *time);

#endif
