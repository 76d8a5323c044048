#ifndef KDUMP_WATCH_SENDER_STARTUP_H
#define KDUMP_WATCH_SENDER_STARTUP_H

#include <stdint.h>

/// The process's argument count, as the C library passed it to the start-up constructor in
/// sender_startup.c; 0 if that constructor did not run.
int kdump_watch_sender_argc(void);

/// The process's argument vector (argc entries, then NULL), or NULL if the constructor did not
/// run. Read this rather than `CommandLine.arguments`: the constructor moves `environ`.
char *const *kdump_watch_sender_argv(void);

/// The boot nonce of signed messages, without ever waiting for the kernel's random pool:
/// getrandom(GRND_INSECURE), else getrandom(GRND_NONBLOCK), else the clocks and the process id.
uint64_t kdump_watch_sender_boot_nonce(void);

#endif
