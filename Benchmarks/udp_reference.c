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

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SECONDS\n", argv[0]);
        return 2;
    }
    int fd = bind_udp(atoi(argv[1]), 0);
    if (fd < 0) return 1;
    struct timeval timeout = {.tv_sec = 0, .tv_usec = 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    static struct batch batch;
    batch_init(&batch);
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double seconds = atof(argv[2]);
    long long good = 0, bad = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - start.tv_sec) + (t.tv_nsec - start.tv_nsec) / 1e9 >= seconds) break;
        int n = batch_receive(fd, &batch);
        for (int i = 0; i < n; i++) {
            if (valid(batch.data[i], (int)batch.messages[i].msg_len)) good++; else bad++;
        }
    }
    printf("%lld %lld\n", good, bad);
    return 0;
}
