#!/usr/bin/env bash
# End-to-end test (`make e2e`): a real kernel panic in a QEMU virtual machine, its kdump capture
# kernel running kdump-watch-send, the host's kdump-watchd recording the episode, and
# pacemaker-fenced driving fence_kdump_watch through stonith_admin, as a cluster does.
#
#   Tests/EndToEnd/run.sh [handmade]
#
# The capture kernel's initramfs (built by node-image.sh) is the handmade one: busybox and
# guest-init.sh, which starts the sender through the shipped etc/kdump-watch-capture.sh, saves
# the dump and reports `finished`. The capture images that the distributions' kdump services
# build are booted on real Debian nodes: debian-node.sh (kdump-tools) and kdump-utils-node.sh.
#
#   kwvm1  boots, loads a capture kernel (kexec -p), panics on command; its capture kernel
#          announces the dump to the host over IPv4 with signed messages (protocol 2, the
#          cluster key and node name in its initramfs), saves it (makedumpfile), sends the
#          phase `finished`, powers off.
#   kwvm2  boots the same way, then hangs in a busy loop: no panic, no kdump, no message.
#
# QEMU's user networking (slirp) is used, so no root network setup is needed: a guest reaches
# the host as 10.0.2.2 (IPv4) or fec0::2 (IPv6), and slirp sends the guest's datagrams from a
# host socket of its own, so they arrive on the host's loopback from 127.0.0.1 or ::1. Those
# are the addresses the cluster configuration must name for the nodes (pcmk_host_map, and the
# daemon's nodes/allow); kwvm2 uses IPv6 so that its address differs from kwvm1's. Pacemaker
# splits pcmk_host_map entries at ':' (it turns "kwvm2:::1" into "1"), so an IPv6 node is mapped
# to its own name and the daemon's `nodes` resolves it.
#
# The daemon runs with `auth = required`: only a verified signed message confirms. The capture
# kernel starts and stops the sender with the shipped runtime library (etc/kdump-watch-capture.sh).
#
# Asserted: a fence request for kwvm1 before its panic times out; after the panic the fence is
# confirmed, and not before the daemon saw the capture kernel's first message; status shows the
# episode as dumping and authenticated, then finished by the phase `finished`; kwvm2 is never
# confirmed. Every phase's
# time is printed. Needs root (pacemaker-fenced), qemu-system-x86, linux-image-cloud-amd64,
# kexec-tools, makedumpfile, busybox-static, pacemaker (scripts/install-deps.sh e2e).
set -euo pipefail

CASE=${1:-handmade}
case "$CASE" in
    handmade) ;;
    *) echo "e2e: unknown case '$CASE' (handmade; the distributions' images: debian-node.sh, kdump-utils-node.sh)" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/.build/debug}
SENDER=${SENDER:-$root/.build-embedded/release/kdump-watch-send}
CACHE=${CACHE:-$root/.build-e2e}
KERNEL=${KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' | sort -V | tail -n 1)}
# Seconds fence_kdump_watch waits for a message before it answers "not confirmed".
AGENT_TIMEOUT=${AGENT_TIMEOUT:-20}
CONSOLES="kwvm1.console kwvm2.console"
# shellcheck source=Tests/EndToEnd/host.sh
. "$here/host.sh"

[ "$(id -u)" = 0 ] || { echo "e2e: needs root (pacemaker-fenced)" >&2; exit 2; }
for tool in qemu-system-x86_64 kexec makedumpfile busybox cpio "$FENCER" stonith_admin python3; do
    command -v "$tool" >/dev/null || { echo "e2e: missing $tool: run scripts/install-deps.sh e2e" >&2; exit 2; }
done
[ -r "$KERNEL" ] || { echo "e2e: no /boot/vmlinuz-*-cloud-amd64" >&2; exit 2; }
for program in "$BUILD/kdump-watchd" "$BUILD/kdump-watchctl" "$BUILD/fence_kdump_watch" "$SENDER"; do
    [ -x "$program" ] || { echo "e2e: missing $program: build first (make e2e does)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/kw-e2e.XXXXXX)
started=$(date +%s.%N)
pids=()
require_fencer_free
trap cleanup EXIT

# shellcheck source=Tests/EndToEnd/node-image.sh
. "$here/node-image.sh"
make_cluster_key

# ---------------------------------------------------------------------------------------------
# The host: kdump-watchd on loopback, then a stand-alone pacemaker-fenced with our agent.
# The daemon is started first: the port it holds goes on the guests' command line. Ports are tried in
# order until one binds, so no other program can take the port between a check and its use.
start_host_daemon() { # port: 0 when it runs, 1 when the port is taken
    cat >"$work/kdump-watchd.conf" <<EOF
listen = 127.0.0.1 ::1
port = $1
control_socket = $work/control.sock
state_dir = $work/state
nodes = kwvm1=127.0.0.1 kwvm2=::1
allow = nodes
finished_after = 5s
auth_key = $CACHE/authkey
auth = required
cluster_name = kw-e2e
EOF
    start_daemon
}
port=27410
until start_host_daemon "$port"; do
    port=$((port + 1))
    [ "$port" -lt 27510 ] || fail "kdump-watchd found no free UDP port from 27410 to 27509"
done
phase "kdump-watchd ready on 127.0.0.1 and ::1 port $port"

build_node_image

start_fencer -o ipport="$port" -o pcmk_host_map="kwvm1:127.0.0.1;kwvm2:kwvm2"
phase "pacemaker-fenced -s ready, device kdump registered (kwvm1 -> 127.0.0.1, kwvm2 -> kwvm2 = ::1 in the daemon's nodes)"

# ---------------------------------------------------------------------------------------------
# The guests.
declare -A qemu_pid
start_vm() { # name family
    mkfifo "$work/$1.serial.in" "$work/$1.serial.out"
    qemu-system-x86_64 -nodefaults -display none -no-user-config -accel tcg -m 768 -smp 1 -no-reboot \
        -kernel "$KERNEL" -initrd "$image" \
        -append "console=ttyS0 crashkernel=256M panic=1 kw_port=$port kw_family=$2 kw_node=$1" \
        -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile= \
        -serial "pipe:$work/$1.serial" >"$work/$1.qemu.log" 2>&1 &
    pids+=($!)
    qemu_pid[$1]=$!
    cat "$work/$1.serial.out" >"$work/$1.console" &
    pids+=($!)
}
await_console() { await_text "$work/$1.console" "$2" "$3" "${qemu_pid[$1]}" "$1"; } # name text seconds
command_vm() { echo "$2" >"$work/$1.serial.in"; }
vm_started=$SECONDS
start_vm kwvm1 4
start_vm kwvm2 6
await_console kwvm1 "] ready: capture kernel loaded" 240
phase "kwvm1 booted, capture kernel loaded ($((SECONDS - vm_started)) s)"
await_console kwvm2 "] ready: capture kernel loaded" 240
phase "kwvm2 booted, capture kernel loaded ($((SECONDS - vm_started)) s)"
grep -q "ready: capture kernel loaded (1)" "$work/kwvm1.console" || fail "kwvm1: kexec -p did not load"

# Before any panic, neither node may be confirmed; kwvm2 then hangs for good.
command_vm kwvm2 hang
await_console kwvm2 "hanging without kdump" 30
fence kwvm1 >"$work/early-kwvm1" &
early_kwvm1=$!
fence kwvm2 >"$work/early-kwvm2" &
early_kwvm2=$!
wait $early_kwvm1 $early_kwvm2
read -r status seconds <"$work/early-kwvm1"
[ "$status" != 0 ] || fail "kwvm1 was confirmed fenced before its panic"
phase "fence kwvm1 before the panic: not confirmed (stonith_admin exit $status after $seconds s)"
read -r status seconds <"$work/early-kwvm2"
[ "$status" != 0 ] || fail "the hung kwvm2 was confirmed fenced"
phase "fence kwvm2 (hung, no kdump): not confirmed (stonith_admin exit $status after $seconds s)"
[ "$(host_field kwvm1 state)" = absent ] || fail "the daemon has an entry for kwvm1 before its panic"

# The panic; the cluster asks for the fence at once and keeps asking until it is confirmed.
panic_at=$(date +%s.%N)
command_vm kwvm1 panic
phase "kwvm1: panic (echo c > /proc/sysrq-trigger)"
fence_until_confirmed kwvm1
grep -q "capture kernel up" "$work/kwvm1.console" || fail "kwvm1: confirmed, but no capture kernel ran"
# One snapshot of the entry: the dump takes a few seconds only, and the phase `finished` ends
# the episode at once, so the entry is dumping or, if the dump is already over, finished by it.
check_episode kwvm1 "$panic_at"

# The capture kernel saves the dump and powers off; the episode becomes finished.
await_console kwvm1 "powering off" 300
phase "kwvm1: $(grep -o 'dump saved: .*\|makedumpfile failed: .*\|makedumpfile exit .*' "$work/kwvm1.console" | head -n 1 | tr -d '\r')"
wait "${qemu_pid[kwvm1]}" || true
phase "kwvm1: powered off (QEMU exited)"
[ "$(host_field kwvm1 phase)" = finished ] || fail "kwvm1: the phase is $(host_field kwvm1 phase), not finished"
[ "$(host_field kwvm1 state)" = finished ] || fail "kwvm1: the phase finished did not end the episode"
phase "status: kwvm1 finished by the phase finished, $(host_field kwvm1 messages) messages"

# kwvm2 is still spinning; it must still not be confirmed, and the daemon never heard of it.
[ "$(host_field kwvm2 state)" = absent ] || fail "the daemon has an entry for the hung kwvm2"
kill -0 "${qemu_pid[kwvm2]}" || fail "kwvm2 stopped; it should still be hanging"
phase "kwvm2: still hung, never in the table"
ctl status
echo "e2e: PASS"
