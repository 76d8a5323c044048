/* Protocol 2 datagrams for the benchmarks (Documentation/protocol.md, "Version 2"), with
 * OpenSSL's HMAC-SHA256: the flood that signs them and the C reference that verifies them
 * share this. The key context is set up once; each MAC re-initialises it with the same key,
 * OpenSSL's fastest path, so the reference is as quick as a careful C program can be. */
#ifndef SIGNED_H
#define SIGNED_H
#define _GNU_SOURCE
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGNED_MAX 129 /* 65 + a 64-byte node name */

struct signer {
    EVP_MAC_CTX *context;
    unsigned char key_id;
};

/* 64 hexadecimal digits into 32 bytes; 0 on success. */
static inline int parse_key(const char *hex, unsigned char key[32]) {
    if (strlen(hex) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return -1;
        key[i] = (unsigned char)byte;
    }
    return 0;
}

/* `hex` is the key that signs: a node key, whose messages carry the cluster key's id `key_id`
 * (two hexadecimal digits), or a key whose own id they carry when `key_id` is NULL. */
static inline int signer_init(struct signer *s, const char *hex, const char *key_id) {
    unsigned char key[32], digest[32];
    unsigned int id;
    if (parse_key(hex, key) != 0) {
        fprintf(stderr, "bad key: 64 hexadecimal digits\n");
        return -1;
    }
    SHA256(key, 32, digest);
    s->key_id = digest[0];
    if (key_id != NULL) {
        if (strlen(key_id) != 2 || sscanf(key_id, "%2x", &id) != 1) {
            fprintf(stderr, "bad key id: two hexadecimal digits\n");
            return -1;
        }
        s->key_id = (unsigned char)id;
    }
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    s->context = EVP_MAC_CTX_new(mac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    return EVP_MAC_init(s->context, key, 32, params) == 1 ? 0 : -1;
}

static inline void signer_mac(struct signer *s, const unsigned char *data, size_t length, unsigned char mac[32]) {
    size_t written = 0;
    EVP_MAC_init(s->context, NULL, 0, NULL);
    EVP_MAC_update(s->context, data, length);
    EVP_MAC_final(s->context, mac, &written, 32);
}

static inline uint64_t wall_clock_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void put_be(unsigned char *at, uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; i--, value >>= 8) at[i] = (unsigned char)value;
}

static inline uint64_t get_be(const unsigned char *at, int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes; i++) value = value << 8 | at[i];
    return value;
}

/* Writes a `dumping` message of `node` into `out`; returns its length. A forged one has the
 * right key id and a fresh timestamp but a MAC of zeros: it passes every cheap check. */
static inline int make_message(struct signer *s, unsigned char *out, const char *node, uint64_t nonce, uint32_t sequence,
                        uint64_t timestamp, int forged) {
    size_t name = strlen(node);
    put_be(out, 0x1B302A40u, 4);
    put_be(out + 4, 2, 4);
    out[8] = 2;
    out[9] = s->key_id;
    put_be(out + 10, 0, 2);
    put_be(out + 12, nonce, 8);
    put_be(out + 20, sequence, 4);
    put_be(out + 24, timestamp, 8);
    out[32] = (unsigned char)name;
    memcpy(out + 33, node, name);
    if (forged)
        memset(out + 33 + name, 0, 32);
    else
        signer_mac(s, out, 33 + name, out + 33 + name);
    return (int)(65 + name);
}
#endif
