/* UDP flood for the ingest and attack benchmarks: sendmmsg of 8-byte datagrams to
 * 127.0.0.1:PORT for SECONDS, optionally rate-limited, from SOURCES loopback addresses
 * (127.1.x.y), valid fence_kdump messages or garbage.
 *
 *   udp_flood PORT SECONDS valid|garbage [RATE_PER_SECOND (0 = unlimited)] [SOURCES]
 *
 * Prints the number of datagrams sent. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT SECONDS valid|garbage [RATE] [SOURCES]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    double seconds = atof(argv[2]);
    int garbage = strcmp(argv[3], "garbage") == 0;
    double rate = argc > 4 ? atof(argv[4]) : 0;
    int sources = argc > 5 ? atoi(argv[5]) : 1;
    if (sources < 1) sources = 1;
    int *fds = calloc(sources, sizeof(int));
    for (int i = 0; i < sources; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in local = {.sin_family = AF_INET};
        local.sin_addr.s_addr = htonl(0x7F010000u + 1 + (unsigned)i);
        if (bind(fds[i], (struct sockaddr *)&local, sizeof local) != 0) { perror("bind"); return 1; }
    }
    struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(port)};
    target.sin_addr.s_addr = htonl(0x7F000001u);
    unsigned char valid[8] = {0x40, 0x2a, 0x30, 0x1b, 0x01, 0, 0, 0};
    unsigned char junk[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0, 0, 0};
    struct iovec iov = {.iov_base = garbage ? junk : valid, .iov_len = 8};
    struct mmsghdr messages[BATCH];
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < BATCH; i++) {
        messages[i].msg_hdr.msg_name = &target;
        messages[i].msg_hdr.msg_namelen = sizeof target;
        messages[i].msg_hdr.msg_iov = &iov;
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    double start = now(), end = start + seconds;
    long long sent = 0;
    int next = 0;
    while (now() < end) {
        if (rate > 0 && sent > (now() - start) * rate) {
            usleep(200);
            continue;
        }
        int n = sendmmsg(fds[next], messages, BATCH, 0);
        next = (next + 1) % sources;
        if (n > 0) sent += n;
    }
    printf("%lld\n", sent);
    return 0;
}
