// Nettle (Debian's nettle-dev): HMAC-SHA256 and SHA-256 for the capture-kernel sender.
#include <nettle/hmac.h>
#include <nettle/sha2.h>
