// The headers of the C library that the sender's sources use (Glibc's Swift module imports the
// same ones in the normal build), and errno, a macro around a function call, which Swift cannot
// import.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static inline int kdump_watch_errno(void) { return errno; }
