/* Protocol 2 flood for the signed-ingest and forged-flood benchmarks: sendmmsg to
 * 127.0.0.1:PORT for SECONDS, optionally rate-limited, of `dumping` messages naming NODE under
 * one nonce with growing sequence numbers and fresh timestamps, signed with KEY (64 hex
 * digits: NODE's node key) under KEY_ID (the cluster key's id), or forged (right header, wrong
 * MAC), or forged-names (forged, each naming another node: NODE-1, NODE-2, …, so that the
 * receiver derives a node key for every one).
 *
 *   signed_flood PORT SECONDS signed|forged|forged-names KEY NODE [RATE_PER_SECOND (0 = unlimited)] [KEY_ID]
 *
 * Prints the number of datagrams sent. */
#include "signed.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s PORT SECONDS signed|forged KEY NODE [RATE]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    double seconds = atof(argv[2]);
    int names = strcmp(argv[3], "forged-names") == 0;
    int forged = names || strcmp(argv[3], "forged") == 0;
    const char *node = argv[5];
    double rate = argc > 6 ? atof(argv[6]) : 0;
    struct signer signer;
    if (signer_init(&signer, argv[4], argc > 7 ? argv[7] : NULL) != 0 || strlen(node) < 1 || strlen(node) > 52)
        return 2;
    char name[65];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(port)};
    target.sin_addr.s_addr = htonl(0x7F000001u);
    static unsigned char data[BATCH][SIGNED_MAX];
    struct iovec iov[BATCH];
    struct mmsghdr messages[BATCH];
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = data[i];
        messages[i].msg_hdr.msg_name = &target;
        messages[i].msg_hdr.msg_namelen = sizeof target;
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t nonce = wall_clock_ns();
    uint32_t sequence = 0;
    double start = now(), end = start + seconds;
    long long sent = 0;
    while (now() < end) {
        if (rate > 0 && sent > (now() - start) * rate) {
            usleep(200);
            continue;
        }
        uint64_t timestamp = wall_clock_ns();
        for (int i = 0; i < BATCH; i++) {
            ++sequence;
            if (names) snprintf(name, sizeof name, "%s-%u", node, sequence);
            iov[i].iov_len = make_message(&signer, data[i], names ? name : node, nonce, sequence, timestamp, forged);
        }
        int n = sendmmsg(fd, messages, BATCH, 0);
        if (n > 0) sent += n;
        /* Unsent messages' sequence numbers are skipped: the replay rule only needs them to grow. */
    }
    printf("%lld\n", sent);
    return 0;
}
