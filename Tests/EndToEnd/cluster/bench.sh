# shellcheck shell=bash disable=SC2154 # the cluster, its helpers and its variables are cluster.sh's
# The failover benchmark (`make bench-cluster`), sourced by `cluster.sh --bench` once the cluster
# runs the guide's topology and `dummy`: BENCH_PANICS (5) panics with KdumpWatch, then as many with
# upstream's fence_kdump and fence_kdump_send, Debian's, in the same cluster and the same topology.
#
# Upstream, as its documentation configures it: level 1 is a `fence_kdump` device
# (pcmk_monitor_action=metadata, pcmk_reboot_action=off, its default timeout of 60 s); the
# capture kernel runs `fence_kdump_send` with its defaults (a message every 10 s, until the
# reboot) to the other nodes. Debian has no fence_kdump integration for kdump-tools, so our hook
# carries upstream's sender in ours' place (KEY=none: version 1, fence_kdump_send's command line),
# and kdump-watchd is stopped: fence_kdump binds the port itself for each fence action.
#
# Each failover is split on the cluster's own records: the panic and the capture kernel's first
# datagram on the host's clock (datagram-log.py on the node's tap), node lost, fencing requested,
# fencing confirmed and `dummy` started from the survivors' pacemaker.log, on the nodes' clocks,
# which are set to the host's before each panic (a VM boots with its RTC's whole seconds).

bench_panics=${BENCH_PANICS:-5}
for node in $nodes; do
    ip netns exec "$namespace" python3 "$here/cluster/datagram-log.py" "kwtap${node#kwnode}" 7410 "$work/$node.datagrams" &
    pids+=($!)
done
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' run target first_datagram node_lost requested confirmed dummy_started rejoined fenced_by \
    >"$work/bench.tsv"

# When each step of TARGET's failover happened, in seconds after the panic (failover_log): node
# lost (the first survivor to see it), fencing requested, confirmed (read on the node that
# requested it, on one clock), dummy started (the first start after that).
failover_split() { # target panic-time
    failover_log "$1" "$2" | python3 -c '
import sys
panic = float(sys.argv[1])
steps, requester = {}, None
for line in sys.stdin:
    seconds, line = line.split(" ", 1)
    after = float(seconds) - panic
    node = line.split()[3]
    if "state is now lost" in line:
        steps.setdefault("lost", after)
    elif "Requesting fencing" in line and "requested" not in steps:
        steps["requested"], requester = after, node
    elif "targeting" in line and node == requester:
        steps.setdefault("confirmed", after)
    elif "Result of start" in line and "confirmed" in steps:
        steps.setdefault("started", after)
print(" ".join(f"{steps[kind]:.2f}" if kind in steps else "-" for kind in ("lost", "requested", "confirmed", "started")))
' "$2"
}

# bench_failover LABEL RUN TARGET [power-allowed]: TARGET runs dummy and panics; one row of
# bench.tsv. Upstream's level 1 may time out and leave the node to the power agent (fence_kdump
# listens only once asked, and a capture kernel that has finished its dump and is rebooting no
# longer sends): that is its result, recorded; with KdumpWatch it is a failure.
bench_failover() {
    local label=$1 run=$2 first split back
    fail_over "$label $run" "$3" "${4:-}"
    rejoined "$label $run" panic "$panic_at" "its dump"
    back=$(since "$panic_at")
    first=$(awk -v after="$panic_at" -v from="$(address_of "$target")" '$1 > after && $2 == from { printf "%.2f", $1 - after; exit }' \
        "$work/$target.datagrams")
    split=$(failover_split "$target" "$panic_at")
    # shellcheck disable=SC2086 # the split is four fields
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label $run" "$target" "${first:--}" $split "${back% s}" "$fenced_by" >>"$work/bench.tsv"
    phase "$label $run: $target panicked; $(tail -n 1 "$work/bench.tsv" | awk -F '\t' '{ print "first datagram " $3 " s, node lost " $4 " s, fencing requested " $5 " s, confirmed " $6 " s (" $9 "), dummy started " $7 " s" }')"
}

# The node that fails: the one running dummy, never the DC (whose loss adds an election).
bench_target() {
    local dc node
    dc=$(designated_controller kwnode1)
    for node in $nodes; do
        [ "$node" != "$dc" ] && [ "$node" != "${target:-}" ] && { echo "$node"; return; }
    done
}

target=""
for run in $(seq "$bench_panics"); do bench_failover KdumpWatch "$run" "$(bench_target)"; done

# Upstream: its sender in every capture image, kdump-watchd stopped, a fence_kdump device at
# level 1 in place of fence_kdump_watch's (the guide's migration, the other way round). The path
# unit is stopped first: the rebuild here is the test's own, one at a time.
on_every_node upstream 900 "upstream's sender was not put into a capture image" \
    "systemctl disable --now kdump-watch-rebuild.path && cp /usr/libexec/fence-agents/fence_kdump_send /usr/sbin/kdump-watch-send && printf '%s\n' KEY=none 'ARGS=\"-i 10\"' >>/etc/kdump-watch/kdump-watch-send.conf && systemctl disable --now kdump-watchd.socket kdump-watchd.service && /etc/kernel/postinst.d/kdump-tools \$(uname -r) && kdump-config reload"
upstream_setup="pcs stonith create kdump-upstream fence_kdump pcmk_host_map='kwnode1:kwnode1;kwnode2:kwnode2;kwnode3:kwnode3'"
upstream_setup="$upstream_setup pcmk_host_argument=nodename pcmk_monitor_action=metadata pcmk_off_action=off pcmk_reboot_action=off"
upstream_setup="$upstream_setup pcmk_off_timeout=90s pcmk_reboot_timeout=90s pcmk_off_retries=1 pcmk_reboot_retries=1"
for node in $nodes; do
    upstream_setup="$upstream_setup && pcs stonith level add 1 $node kdump-upstream && pcs stonith level remove 1 $node kdump"
done
on kwnode1 "$upstream_setup && pcs stonith delete kdump" 300 >"$work/pcs-upstream.out" 2>&1 \
    || { cat "$work/pcs-upstream.out" >&2; fail "the fence_kdump device was not set up"; }
until_on kwnode1 "crm_mon -1 | grep -q 'kdump-upstream.*Started'" 300 "the fence_kdump device did not start"
on kwnode1 "pcs stonith level config" | sed 's/^/    /'
phase "upstream: fence_kdump at level 1, fence_kdump_send -i 10 in every capture image, kdump-watchd stopped"
target=""
for run in $(seq "$bench_panics"); do bench_failover "fence_kdump" "$run" "$(bench_target)" power-allowed; done

# The table: median and max of panic -> dummy started, and each step's median; then the same as
# row 10 of `make bench`'s table (Benchmarks/bench.py): ours, reference, ratio, goal.
python3 - "$work/bench.tsv" <<'PYTHON' | tee "$work/bench.md"
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])][1:]
def seconds(values):
    return [float(v) for v in values if v != "-"]
print("| level 1 (panics) | panic -> dummy started: median | max | medians after the panic: first datagram | node lost | fencing requested | confirmed | request -> confirmed: median | max |")
print("|---|---|---|---|---|---|---|---|---|")
figures = {}
for label in ("KdumpWatch", "fence_kdump"):
    mine = [row for row in rows if row[0].startswith(label + " ")]
    started = seconds(row[6] for row in mine)
    answer = [float(row[5]) - float(row[4]) for row in mine if row[4] != "-" and row[5] != "-"]
    medians = [statistics.median(seconds(row[i] for row in mine)) for i in (2, 3, 4, 5)]
    by_power = sum(1 for row in mine if row[8] == "level 2")
    figures[label] = (statistics.median(started), max(started), statistics.median(answer), max(answer), len(mine), by_power)
    print(f"| {label} ({len(mine)}" + (f"; {by_power} fenced by level 2, the power agent" if by_power else "") + ") | "
          + f"{statistics.median(started):.1f} s | {max(started):.1f} s | "
          + " | ".join(f"{m:.1f} s" for m in medians)
          + f" | {statistics.median(answer):.2f} s | {max(answer):.2f} s |")
ours, upstream = figures["KdumpWatch"], figures["fence_kdump"]
print()
print("| benchmark | KdumpWatch | reference | ratio | goal | met |")
print("|---|---|---|---|---|---|")
print(f"| 10. cluster failover ({ours[4]} and {upstream[4]} panics): panic -> resource started on a survivor; fencing requested -> confirmed"
      f" | {ours[0]:.1f} s (max {ours[1]:.1f}); {ours[2]:.2f} s (max {ours[3]:.2f})"
      f" | fence_kdump {upstream[0]:.1f} s (max {upstream[1]:.1f}); {upstream[2]:.2f} s (max {upstream[3]:.2f}); {upstream[5]} of {upstream[4]} by the power agent"
      f" | {upstream[3] / ours[3]:.1f}x max confirm | confirmed <= 1 s after the request | {'yes' if ours[3] <= 1 else 'NO'} |")
PYTHON
sed 's/^/    /' "$work/bench.tsv"
echo "bench-cluster: done"
exit 0
