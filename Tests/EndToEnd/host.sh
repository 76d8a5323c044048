# shellcheck shell=bash disable=SC2154 # work, BUILD, CACHE, DEBIAN_MIRROR, started and pids are the caller's
# The end-to-end tests' host side, sourced by run.sh and debian-node.sh: timings, failure
# reports, the host's kdump-watchd and a stand-alone pacemaker-fenced driving
# fence_kdump_watch, as a cluster's fencer does.
#
# The caller sets work (a scratch directory), BUILD, CACHE, started (date +%s.%N), pids (an array) and
# CONSOLES (the console logs to show on failure), and traps cleanup on EXIT; DEBIAN_MIRROR for debian_base;
# before_stop, a function cleanup calls after a failure before it stops the processes.

FENCER=/usr/lib/pacemaker/pacemaker-fenced
AGENT_LINK=/usr/sbin/fence_kdump_watch
linked_agent=no
failed=no

# since TIME: seconds from TIME (date +%s.%N) to now, "12.3 s".
since() { python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f} s')" "$(date +%s.%N)" "$1"; }
phase() { printf '%7s  %s\n' "$(since "$started" | tr -d ' ')" "$*" | tee -a "$work/timings"; }
fail() {
    failed=yes
    echo "e2e: FAIL: $*" >&2
    for log in $CONSOLES daemon.log fenced.log; do
        [ -s "$work/$log" ] && { echo "--- last lines of $log" >&2; tail -n 25 "$work/$log" >&2; }
    done
    exit 1
}
cleanup() {
    # before_stop: the caller's last look at a failed run while its processes still run.
    if [ "$failed" = yes ] && [ -n "${before_stop:-}" ]; then "$before_stop" || true; fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$linked_agent" = yes ] && rm -f "$AGENT_LINK"
    if [ -n "${cleanup_more:-}" ]; then "$cleanup_more"; fi
    if [ "$failed" = yes ] || [ -n "${KEEP_LOGS:-}" ]; then echo "e2e: logs kept in $work" >&2; else rm -rf "$work"; fi
}
require_fencer_free() {
    if pidof pacemaker-fenced >/dev/null; then
        echo "e2e: a pacemaker-fenced is already running; only one can run at a time" >&2
        exit 2
    fi
}

ctl() { "$BUILD/kdump-watchctl" --socket "$work/control.sock" "$@"; }
# The cluster key, made once per cache ($CACHE/authkey): the cached handmade image holds it.
make_cluster_key() {
    mkdir -p "$CACHE"
    [ -s "$CACHE/authkey" ] || "$BUILD/kdump-watchctl" keygen --output "$CACHE/authkey" >/dev/null
}
# start_daemon: kdump-watchd on $work/kdump-watchd.conf (the caller writes it), started through
# daemon_prefix (e.g. ip netns exec NS); daemon is its process id. 0 when it answers, 1 when its port was taken; any other
# failure fails the test.
daemon_prefix=()
start_daemon() {
    mkdir -p "$work/state"
    "${daemon_prefix[@]}" "$BUILD/kdump-watchd" --config "$work/kdump-watchd.conf" >"$work/daemon.log" 2>&1 &
    daemon=$!
    for _ in $(seq 100); do
        ctl status >/dev/null 2>&1 && { pids+=("$daemon"); return 0; }
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    wait "$daemon" 2>/dev/null || true
    grep -q "address already in use" "$work/daemon.log" && return 1
    fail "kdump-watchd did not start"
}
# link_agent: /usr/sbin/fence_kdump_watch, where Pacemaker looks for agents, made this build's
# agent. Kept when it is already; replaced when it is a link into some checkout's build
# directory, which a killed run left behind (as PacemakerInteropTests.isTestLink says); anything
# else there (a package installs a file) is never replaced.
link_agent() {
    local existing
    [ "$(readlink -f "$AGENT_LINK")" = "$(readlink -f "$BUILD/fence_kdump_watch")" ] && return 0
    existing=$(readlink "$AGENT_LINK" || true)
    case $existing in
    /*/.build*/fence_kdump_watch) ;;
    "") [ ! -e "$AGENT_LINK" ] || fail "$AGENT_LINK exists and is not a test's link to a built agent" ;;
    *) fail "$AGENT_LINK links to $existing, not to a built agent" ;;
    esac
    ln -sfn "$BUILD/fence_kdump_watch" "$AGENT_LINK"
    linked_agent=yes
}
# start_fencer DEVICE-OPTION...: pacemaker-fenced -s with one fence_kdump_watch device, kdump,
# asking this run's daemon.
start_fencer() {
    link_agent
    "$FENCER" -s -l "$work/fenced.log" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do stonith_admin -L >/dev/null 2>&1 && break; sleep 0.2; done
    stonith_admin -R kdump -a fence_kdump_watch -o socket="$work/control.sock" -o fallback=none \
        -o timeout="$AGENT_TIMEOUT" -o pcmk_host_argument=nodename -o pcmk_off_retries=1 \
        -o pcmk_action_limit=-1 "$@" >/dev/null || fail "stonith_admin -R failed"
    stonith_admin -Q kdump -t 20 >/dev/null || fail "the device's monitor failed"
}
# await_text FILE TEXT SECONDS PID WHO: until FILE (a console log) holds TEXT; fails after SECONDS or
# when the process PID (its QEMU) has exited first.
await_text() {
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "$5: no \"$2\" on the console within $3 s"
        kill -0 "$4" 2>/dev/null || fail "$5: QEMU exited before \"$2\" appeared on the console"
        sleep 0.2
    done
}
# debian_base NAME PACKAGES: sets base to a Debian 12 system (debootstrap's minbase) with PACKAGES
# (comma-separated), made once in CACHE as NAME-HASH, HASH being that of what makes it. debootstrap
# installs what the packages depend on, not what they recommend, and resolves no virtual package.
debian_base() {
    local key
    key=$(printf '%s\n' "bookworm" "$2" "$DEBIAN_MIRROR" | sha256sum | cut -c 1-16)
    base=$CACHE/$1-$key
    if [ -e "$base/.complete" ]; then
        phase "$1: cached base system $base"
        return
    fi
    rm -rf "$base"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase --include="$2" bookworm "$base" "$DEBIAN_MIRROR" \
        >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -f "$base"/var/cache/apt/archives/*.deb
    touch "$base/.complete"
    phase "$1: debootstrap made the base system ($(du -sh "$base" | cut -f 1))"
}
# status_field NODE FIELD: from `kdump-watchctl status --json` on stdin, a field of NODE's entry,
# or "absent".
status_field() {
    python3 -c '
import json, sys
for host in json.load(sys.stdin)["hosts"]:
    if host.get("node") == sys.argv[1]:
        print(host[sys.argv[2]]); break
else:
    print("absent")' "$1" "$2"
}
host_field() { ctl status --json | status_field "$1" "$2"; } # node field: from this run's daemon
# host_invalid REASON: how many datagrams this run's daemon counted invalid for REASON.
host_invalid() { ctl status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["invalid"][sys.argv[1]])' "$1"; }
fence() { # node -> prints exit status and seconds
    local from=$SECONDS status=0
    stonith_admin -F "$1" -t $((AGENT_TIMEOUT + 30)) >"$work/fence-$1.log" 2>&1 || status=$?
    echo "$status $((SECONDS - from))"
}
# fence_until_confirmed NODE: as the cluster does after a node is lost, ask until confirmed (six
# tries); sets fence_result, attempt and confirmed_at.
fence_until_confirmed() {
    local seconds
    fence_result=1
    for attempt in 1 2 3 4 5 6; do
        read -r fence_result seconds < <(fence "$1")
        if [ "$fence_result" = 0 ]; then break; fi
        phase "fence $1 attempt $attempt: not confirmed yet (exit $fence_result after $seconds s)"
    done
    confirmed_at=$(date +%s.%N)
    [ "$fence_result" = 0 ] || fail "$1 was never confirmed after its panic"
    phase "fence $1 after the panic: confirmed (stonith_admin exit 0, attempt $attempt)"
}
# check_episode NODE PANIC-TIME: the node's entry is signed, dumping or finished, and its first
# message came between the panic and the confirmation (confirmed_at).
check_episode() {
    local state auth entry_phase first_seen source order
    read -r state auth entry_phase first_seen source < <(ctl status --json | python3 -c '
import json, sys
host = next(h for h in json.load(sys.stdin)["hosts"] if h.get("node") == sys.argv[1])
print(host["state"], host["auth"], host["phase"], host["first_seen"], host["address"])' "$1")
    case "$state/$entry_phase" in
        dumping/started | dumping/dumping | finished/finished) ;;
        *) fail "$1: state $state, phase $entry_phase, while its capture kernel runs or just after" ;;
    esac
    [ "$auth" = True ] || fail "$1: its entry is not authenticated under auth = required"
    order=$(python3 - "$2" "$first_seen" "$confirmed_at" <<'PY'
import datetime, sys
panic, confirmed = float(sys.argv[1]), float(sys.argv[3])
first = datetime.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00")).timestamp()
print(f"first message {first - panic:.1f} s after the panic, fence confirmed {confirmed - panic:.1f} s after it")
sys.exit(0 if panic <= first <= confirmed else 1)
PY
) || fail "the fence was confirmed before the capture kernel's first message ($order)"
    phase "status: $1 (signed, from $source) $state, phase $entry_phase, since $first_seen: $order"
}
