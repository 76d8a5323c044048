/* Reference receiver for the ingest benchmark: the machine's limit for receiving and checking
 * fence_kdump datagrams. recvmmsg in batches of 64, a 4 MiB receive buffer, the same exact
 * check as kdump-watchd (8 bytes, magic and version in the same byte order), no table.
 *
 *   udp_reference PORT SECONDS
 *
 * Prints "VALID INVALID" received within SECONDS. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static int valid(const unsigned char *b, int n) {
    if (n != 8) return 0;
    uint32_t le0 = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t le1 = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
    uint32_t be0 = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    uint32_t be1 = (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
    return (le0 == 0x1B302A40u && le1 == 1) || (be0 == 0x1B302A40u && be1 == 1);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SECONDS\n", argv[0]);
        return 2;
    }
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int off = 0, buffer = 4 << 20;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    struct sockaddr_in6 local = {.sin6_family = AF_INET6, .sin6_port = htons(atoi(argv[1]))};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) { perror("bind"); return 1; }
    struct timeval timeout = {.tv_sec = 0, .tv_usec = 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    static unsigned char data[BATCH][64];
    struct iovec iov[BATCH];
    struct sockaddr_in6 from[BATCH];
    struct mmsghdr messages[BATCH];
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = data[i];
        iov[i].iov_len = sizeof data[i];
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &from[i];
        messages[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double seconds = atof(argv[2]);
    long long good = 0, bad = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - start.tv_sec) + (t.tv_nsec - start.tv_nsec) / 1e9 >= seconds) break;
        int n = recvmmsg(fd, messages, BATCH, 0, NULL);
        for (int i = 0; i < n; i++) {
            if (valid(data[i], (int)messages[i].msg_len)) good++; else bad++;
            messages[i].msg_hdr.msg_namelen = sizeof from[i];
        }
    }
    printf("%lld %lld\n", good, bad);
    return 0;
}
