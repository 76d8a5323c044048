// Nettle's SHA-256 and memxor without its CPU dispatch, for the embedded sender.
//
// Debian's libnettle.a is a "fat" build: sha256.o calls _nettle_sha256_compress and hmac.o
// calls nettle_memxor, and both are defined in fat-x86_64.o, whose start-up code chooses an
// implementation of every accelerated function, so linking it pulls in AES, SHA-1 and GHASH
// as well (31 kB, a fifth of the sender). These two definitions take their place, so the
// linker takes nothing from fat-x86_64.o. memxor is Nettle's x86-64 one. The block function
// makes the one choice of the dispatch that matters here: Nettle's SHA-extensions
// implementation where the CPU has them, its plain x86-64 one otherwise, because the HMAC of
// the first message is part of the signed start that is timed against upstream's unsigned one
// (Documentation/performance.md, row 9). The CPU's features come from what glibc's loader
// found at start-up (<sys/platform/x86.h>): a CPUID of our own would trap to the hypervisor
// in a virtual machine, and cost more than the extensions save.
//
// The signatures are Nettle 3.8's (Debian 12): a Nettle whose internals differ fails to link
// (a symbol defined twice) or fails SenderEmbeddedBuildTests, which checks the MACs against
// swift-crypto's, and both block functions against the protocol document's example.
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <sys/platform/x86.h>

void _nettle_sha256_compress_x86_64(uint32_t *state, const uint8_t *input, const uint32_t *k);
void _nettle_sha256_compress_sha_ni(uint32_t *state, const uint8_t *input, const uint32_t *k);
void *_nettle_memxor_x86_64(void *dst, const void *src, size_t n);

void _nettle_sha256_compress(uint32_t *state, const uint8_t *input, const uint32_t *k);
void *nettle_memxor(void *dst, const void *src, size_t n);

void _nettle_sha256_compress(uint32_t *state, const uint8_t *input, const uint32_t *k) {
    if (CPU_FEATURE_ACTIVE(SHA))
        _nettle_sha256_compress_sha_ni(state, input, k);
    else
        _nettle_sha256_compress_x86_64(state, input, k);
}

void *nettle_memxor(void *dst, const void *src, size_t n) { return _nettle_memxor_x86_64(dst, src, n); }
#endif
