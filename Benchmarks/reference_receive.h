/* What both C references (udp_reference.c, wait_reference.c) do with fence_kdump datagrams:
 * the same exact check as kdump-watchd (8 bytes, magic and version in the same byte order),
 * and recvmmsg in batches of 64, as the daemon's vectored reads. */
#ifndef REFERENCE_RECEIVE_H
#define REFERENCE_RECEIVE_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static inline int valid(const unsigned char *b, int n) {
    if (n != 8) return 0;
    uint32_t le0 = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t le1 = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
    uint32_t be0 = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    uint32_t be1 = (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
    return (le0 == 0x1B302A40u && le1 == 1) || (be0 == 0x1B302A40u && be1 == 1);
}

/* A UDP socket on [::]:port for IPv4 and IPv6 with a 4 MiB receive buffer, as the daemon's;
 * `type` adds socket flags (SOCK_NONBLOCK). -1 when it cannot bind. */
static inline int bind_udp(int port, int type) {
    int fd = socket(AF_INET6, SOCK_DGRAM | type, 0);
    int off = 0, buffer = 4 << 20;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    struct sockaddr_in6 local = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        perror("bind");
        return -1;
    }
    return fd;
}

/* One recvmmsg batch: each message's data and sender. */
struct batch {
    unsigned char data[BATCH][256]; /* v1 is 8 bytes, v2 up to 129 */
    struct iovec iov[BATCH];
    struct sockaddr_in6 from[BATCH];
    struct mmsghdr messages[BATCH];
};

static inline void batch_init(struct batch *b) {
    memset(b->messages, 0, sizeof b->messages);
    for (int i = 0; i < BATCH; i++) {
        b->iov[i].iov_base = b->data[i];
        b->iov[i].iov_len = sizeof b->data[i];
        b->messages[i].msg_hdr.msg_iov = &b->iov[i];
        b->messages[i].msg_hdr.msg_iovlen = 1;
        b->messages[i].msg_hdr.msg_name = &b->from[i];
        b->messages[i].msg_hdr.msg_namelen = sizeof b->from[i];
    }
}

/* Reads up to BATCH datagrams (recvmmsg's result). */
static inline int batch_receive(int fd, struct batch *b) {
    for (int i = 0; i < BATCH; i++) b->messages[i].msg_hdr.msg_namelen = sizeof b->from[i];
    return recvmmsg(fd, b->messages, BATCH, 0, NULL);
}
/* Receives on `fd` for `seconds` (a read returns at least every 100 ms), counting the datagrams
 * `check(context, data, length)` accepts in *good and the others in *bad: the loop of both
 * flood references (udp_reference.c, signed_reference.c). */
static inline void receive_for(int fd, double seconds, int (*check)(void *, const unsigned char *, int), void *context,
                               long long *good, long long *bad) {
    struct timeval timeout = {.tv_sec = 0, .tv_usec = 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    static struct batch batch;
    batch_init(&batch);
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - start.tv_sec) + (t.tv_nsec - start.tv_nsec) / 1e9 >= seconds) break;
        int n = batch_receive(fd, &batch);
        for (int i = 0; i < n; i++) {
            if (check(context, batch.data[i], (int)batch.messages[i].msg_len)) ++*good; else ++*bad;
        }
    }
}
#endif
