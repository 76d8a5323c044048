// Start-up code of kdump-watch-send that must run before the Swift runtime's.
//
// The installed sender is the Embedded Swift build, which has no runtime to start and no
// CommandLine: there the constructor only keeps argc and argv for main. What follows explains
// the rest, which the normal build (unit tests, the debug executable) still needs.
//
// The Swift runtime seeds its hash functions with a blocking getrandom(2) in a static
// initializer, before main. In a kdump capture kernel the kernel's random pool is often not
// initialised yet, and getrandom() then waits until it is: measured under QEMU (make e2e), the
// first message left 1.6 s late, right after "random: crng init done" (4.1 s after the panic
// instead of 2.7 s), and a machine without a fast entropy source waits longer. The sender
// hashes nothing an attacker controls, so it asks the runtime for deterministic hashing
// instead, which skips the seeding. The runtime reads SWIFT_DETERMINISTIC_HASHING when that
// initializer runs, so the variable has to be set earlier still: a constructor with a priority
// runs before the default-priority initializers of the statically linked runtime (the installed
// sender is built with --static-swift-stdlib; a dynamically linked runtime initialises before
// any of this, and then the variable has to come from the environment).
//
// setenv() may move `environ`, and the Swift runtime finds the command line from the initial
// stack, which is then no longer reliable; so the constructor also keeps the argc and argv that
// the C library hands to constructors, and main reads those. No library does any of this: it is
// one setenv at the right moment.
#include <stdlib.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "CSenderStartup.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004 /* Linux 5.6; older kernels answer EINVAL */
#endif

static int saved_argc;
static char *const *saved_argv;

__attribute__((constructor(101))) static void kdump_watch_sender_startup(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
#ifndef KDUMP_WATCH_SENDER_EMBEDDED  // no runtime to seed; setenv would only cost the start time
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1);
#endif
}

int kdump_watch_sender_argc(void) { return saved_argc; }

char *const *kdump_watch_sender_argv(void) { return saved_argv; }

// The nonce of signed messages is not a secret (the MAC is what no one can forge); it only has
// to differ between two senders of one node, such as the announcing one and the one that
// reports the end of the dump, so that the receiver's replay rule tells them apart. The Swift
// standard library's generator calls a blocking getrandom(2), which in a capture kernel holds
// the first message back until the random pool is ready (1.8 s under QEMU, `make e2e`), and
// Glibc's Swift module does not declare getrandom: hence these lines in C. Through syscall(2),
// like the embedded sender's other calls before its first signed datagram: glibc's getrandom
// wrapper lies in a part of the library that the start has not touched otherwise, a page fault
// more (EmbeddedSender/Sources/CSenderSystemCalls/system_calls.c).
uint64_t kdump_watch_sender_boot_nonce(void) {
    uint64_t nonce;
    if (syscall(SYS_getrandom, &nonce, sizeof nonce, GRND_INSECURE) == (long)sizeof nonce) return nonce;
    if (syscall(SYS_getrandom, &nonce, sizeof nonce, GRND_NONBLOCK) == (long)sizeof nonce) return nonce;
    struct timespec wall, since_boot;
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &since_boot);
    return ((uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec) ^ ((uint64_t)since_boot.tv_nsec << 20) ^
           ((uint64_t)getpid() << 44);
}
