// Nettle's SHA-256 and memxor without its CPU dispatch, for the embedded sender.
//
// Debian's libnettle.a is a "fat" build: sha256.o calls _nettle_sha256_compress and hmac.o
// calls nettle_memxor, and both are defined in fat-x86_64.o, whose start-up code chooses an
// implementation of every accelerated function, so linking it pulls in AES, SHA-1 and GHASH
// as well (31 kB, a fifth of the sender). These two definitions call Nettle's own plain
// x86-64 implementations, the ones its dispatch picks on a CPU without SHA extensions; with
// them defined, the linker takes nothing from fat-x86_64.o. The signatures are Nettle 3.8's
// (Debian 12): a Nettle whose internals differ fails to link (a symbol defined twice) or fails
// SenderEmbeddedBuildTests, which checks the MACs against swift-crypto's.
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
void _nettle_sha256_compress_x86_64(uint32_t *state, const uint8_t *input, const uint32_t *k);
void *_nettle_memxor_x86_64(void *dst, const void *src, size_t n);

void _nettle_sha256_compress(uint32_t *state, const uint8_t *input, const uint32_t *k);
void *nettle_memxor(void *dst, const void *src, size_t n);

void _nettle_sha256_compress(uint32_t *state, const uint8_t *input, const uint32_t *k) {
    _nettle_sha256_compress_x86_64(state, input, k);
}

void *nettle_memxor(void *dst, const void *src, size_t n) { return _nettle_memxor_x86_64(dst, src, n); }
#endif
