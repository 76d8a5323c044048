#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer (`make fuzz`; CI runs a short version):
#   fuzz-datagram         UDP payloads (KdumpWire)
#   fuzz-control-request  control-socket bytes: line framing and requests (KdumpControl)
#   fuzz-configuration    kdump-watchd.conf (KdumpConfiguration)
#   fuzz-agent-input      the fence agent's stdin and command line (KdumpFenceAgent)
#   fuzz-state-file       the state file, restored into a table and swept (KdumpState)
#   fuzz-json-writer      text written as JSON reads back unchanged (KdumpJSON)
#   fuzz-signed-message   protocol version 2 datagrams (KdumpWire)
#   fuzz-key-file         the key files of auth_key and --key (KdumpWire)
# Each target checks invariants, not only "no crash" (see Tests/Fuzz/Sources). Usage:
#   Tests/Fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]
# Seeds are in Tests/Fuzz/Corpus/NAME; what the fuzzer learns goes to .build-fuzz/corpus/NAME,
# a crashing input to .build-fuzz/findings/ (make it a regression test).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(datagram control-request configuration agent-input state-file json-writer signed-message key-file)
scratch=.build-fuzz
build() {
    # `--sanitize fuzzer` makes SwiftPM link libFuzzer's main; the sanitizers themselves are given
    # as one -sanitize= flag, because with two (`--sanitize address` as well) the compiler kept
    # only the last and the code lost its coverage instrumentation. The linker warns about ASan's
    # local symbols on every link: nothing to act on.
    KDUMP_WATCH_FUZZ=1 swift build --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
        --product "fuzz-$1" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$scratch/debug/fuzz-$1" ] || { echo "fuzz: building fuzz-$1 failed" >&2; exit 1; }
}
mkdir -p "$scratch/findings"
# The Swift runtime's crash backtracer reads the stack in a way ASan reports as an error of its
# own, which hides the real one: libFuzzer prints the stack instead.
export SWIFT_BACKTRACE=enable=no
summary=()
failed=0
for target in "${targets[@]}"; do
    build "$target"
    mkdir -p "$scratch/corpus/$target"
    log="$scratch/fuzz-$target.log"
    status=0
    "$scratch/debug/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$scratch/findings/$target-" "$scratch/corpus/$target" "Tests/Fuzz/Corpus/$target" \
        >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d ' ' -f 2 || true)
    if [ -z "$coverage" ]; then
        echo "fuzz: fuzz-$target reports no coverage: not instrumented" >&2
        failed=1
    fi
    corpus=$(find "$scratch/corpus/$target" "Tests/Fuzz/Corpus/$target" -type f | wc -l)
    if [ "$status" = 0 ]; then findings=0; else findings=1; failed=1; fi
    summary+=("$(printf '%-16s %12s %10s %9s %7s %9s' "$target" "${executions:-?}" "${rate:-?}" "${coverage:-?}" "$corpus" "$findings")")
    if [ "$status" != 0 ]; then
        echo "fuzz: fuzz-$target found a failure (exit $status); input in $scratch/findings/:" >&2
        grep -E 'invariant broken|ERROR: AddressSanitizer|Fatal error|deadly signal|Test unit written' "$log" | head -n 5 >&2
    fi
done
printf '%-16s %12s %10s %9s %7s %9s\n' target executions "exec/s" coverage corpus findings
printf '%s\n' "${summary[@]}"
exit $failed
