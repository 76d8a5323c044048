/* Reference receiver for the ingest benchmark: the machine's limit for receiving and checking
 * fence_kdump datagrams. recvmmsg in batches of 64, a 4 MiB receive buffer, the same exact
 * check as kdump-watchd (8 bytes, magic and version in the same byte order), no table.
 *
 *   udp_reference PORT SECONDS
 *
 * Prints "VALID INVALID" received within SECONDS. */
#include "reference_receive.h"
#include <stdlib.h>
#include <time.h>

static int check_v1(void *context, const unsigned char *data, int length) {
    (void)context;
    return valid(data, length);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SECONDS\n", argv[0]);
        return 2;
    }
    int fd = bind_udp(atoi(argv[1]), 0);
    if (fd < 0) return 1;
    long long good = 0, bad = 0;
    receive_for(fd, atof(argv[2]), check_v1, NULL, &good, &bad);
    printf("%lld %lld\n", good, bad);
    return 0;
}
