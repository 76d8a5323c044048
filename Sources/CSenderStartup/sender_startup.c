// Start-up code of kdump-watch-send that must run before the Swift runtime's.
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

#include "CSenderStartup.h"

static int saved_argc;
static char *const *saved_argv;

__attribute__((constructor(101))) static void kdump_watch_sender_startup(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1);
}

int kdump_watch_sender_argc(void) { return saved_argc; }

char *const *kdump_watch_sender_argv(void) { return saved_argv; }
