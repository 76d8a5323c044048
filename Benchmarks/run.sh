#!/bin/sh
# `make bench`: release builds, the C reference tools, the upstream tools, then one table.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh bench
# The build `make install` installs.
make release
mkdir -p .build-bench
for tool in udp_flood udp_reference udp_sources concurrent_waits wait_reference start_pairs; do
    cc -O2 -Wall -o ".build-bench/$tool" "Benchmarks/$tool.c"
done
# The references for signed messages use OpenSSL's HMAC-SHA256 (libssl-dev).
for tool in signed_flood signed_reference; do
    cc -O2 -Wall -Wextra -o ".build-bench/$tool" "Benchmarks/$tool.c" -lcrypto
done
exec python3 Benchmarks/bench.py "$@"
