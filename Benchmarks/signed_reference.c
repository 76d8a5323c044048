/* Reference receiver for the signed-ingest benchmark: what kdump-watchd's admission of a
 * protocol 2 datagram costs when written in C with OpenSSL, and nothing else (no table, no
 * log). recvmmsg in batches of 64 on the daemon's socket set-up; per datagram the exact length,
 * magic, version, flags, key id and name checks, the timestamp window, HMAC-SHA256 compared in
 * constant time (CRYPTO_memcmp), and the replay rule for one node (same nonce: the sequence
 * grows; a new nonce: a later timestamp).
 *
 *   signed_reference PORT SECONDS KEY
 *
 * Prints "VALID INVALID" received within SECONDS. */
#include "reference_receive.h"
#include "signed.h"

#define WINDOW_NS (120ull * 1000000000ull)

struct replay {
    uint64_t nonce, timestamp;
    uint32_t sequence;
    int seen;
};

static int name_valid(const unsigned char *name, int length) {
    for (int i = 0; i < length; i++) {
        unsigned char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int verified(struct signer *s, struct replay *r, const unsigned char *b, int n) {
    if (n < 66 || n > SIGNED_MAX) return 0;
    if (get_be(b, 4) != 0x1B302A40u || get_be(b + 4, 4) != 2) return 0;
    if (b[8] < 1 || b[8] > 4 || b[9] != s->key_id || get_be(b + 10, 2) != 0) return 0;
    int name = b[32];
    if (name < 1 || name > 64 || n != 65 + name || !name_valid(b + 33, name)) return 0;
    uint64_t nonce = get_be(b + 12, 8), timestamp = get_be(b + 24, 8), now = wall_clock_ns();
    uint32_t sequence = (uint32_t)get_be(b + 20, 4);
    if (timestamp + WINDOW_NS < now || timestamp > now + WINDOW_NS) return 0;
    unsigned char mac[32];
    signer_mac(s, b, 33 + name, mac);
    if (CRYPTO_memcmp(mac, b + 33 + name, 32) != 0) return 0;
    if (r->seen && (nonce == r->nonce ? sequence <= r->sequence : timestamp <= r->timestamp)) return 0;
    *r = (struct replay){.nonce = nonce, .timestamp = timestamp, .sequence = sequence, .seen = 1};
    return 1;
}

struct verifier {
    struct signer *signer;
    struct replay *replay;
};

static int check_signed(void *context, const unsigned char *data, int length) {
    struct verifier *v = context;
    return verified(v->signer, v->replay, data, length);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT SECONDS KEY [KEY_ID]\n", argv[0]);
        return 2;
    }
    struct signer signer;
    if (signer_init(&signer, argv[3], argc > 4 ? argv[4] : NULL) != 0) return 2;
    int fd = bind_udp(atoi(argv[1]), 0);
    if (fd < 0) return 1;
    struct replay replay = {0};
    struct verifier verifier = {&signer, &replay};
    long long good = 0, bad = 0;
    receive_for(fd, atof(argv[2]), check_signed, &verifier, &good, &bad);
    printf("%lld %lld\n", good, bad);
    return 0;
}
