#!/usr/bin/env bash
# Runs the test suite with AddressSanitizer and then ThreadSanitizer (`make sanitize`; CI runs
# the unit tests only: `scripts/sanitize.sh unit`). The executables the integration tests start
# are built with the same sanitizer, and their reports go to files (their stderr is a log the
# tests read), so a report from a daemon fails the run too.
#   scripts/sanitize.sh [all|unit]
# Leak detection is off: the one leak LeakSanitizer reports is SwiftNIO's process-wide thread
# pool (NIOThreadPool.singleton), which lives until exit by design.
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}
case "$scope" in
    all) filter=() ;;
    unit) filter=(--skip IntegrationTests) ;;
    *) echo "sanitize: unknown scope '$scope' (all, unit)" >&2; exit 2 ;;
esac
status=0
for sanitizer in address thread; do
    scratch=.build-${sanitizer:0:1}san
    reports=$PWD/$scratch/reports
    rm -rf "$reports" && mkdir -p "$reports"
    echo "sanitize: swift test --sanitize=$sanitizer ${filter[*]}"
    ASAN_OPTIONS="log_path=$reports/report:detect_leaks=0" TSAN_OPTIONS="log_path=$reports/report" \
        swift test --scratch-path "$scratch" --sanitize="$sanitizer" "${filter[@]}" || status=1
    if [ -n "$(ls -A "$reports")" ]; then
        echo "sanitize: $sanitizer sanitizer reports in $reports:" >&2
        head -n 40 "$reports"/* >&2
        status=1
    else
        echo "sanitize: no $sanitizer sanitizer report"
    fi
done
exit $status
