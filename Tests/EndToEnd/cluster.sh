#!/usr/bin/env bash
# End-to-end test of a real cluster (`make e2e-cluster`): three Debian 12 nodes, each made as
# debian-node.sh makes one (debootstrap, Debian's kernel, systemd, ifupdown, kdump-tools), with
# Debian's corosync 3 and Pacemaker, KdumpWatch from its .deb, on a static network of their own
# with two corosync links.
# The cluster itself notices a lost node, decides to fence it, and fences it through the fencing
# topology of the operator's guide: level 1 fence_kdump_watch, level 2 a power agent.
#
#   Tests/EndToEnd/cluster.sh DEB
#   Tests/EndToEnd/cluster.sh --bench DEB     the failover benchmark instead of the scenarios
#                                             (`make bench-cluster`; cluster/bench.sh)
#
# What stands in, and why:
#   - QEMU's -kernel/-initrd and -append replace GRUB (as in debian-node.sh).
#   - pcsd. The nodes' disks are made before they first boot, so the cluster is set up the way
#     pcs does it without pcsd ("local only mode"): `pcs cluster setup --corosync_conf` writes
#     corosync.conf, and the test copies it and the two keys pcsd would have copied
#     (/etc/corosync/authkey, /etc/pacemaker/authkey) to every node. pcsd is disabled: it would
#     start a Ruby and a Python server on every node under software emulation for nothing.
#     Everything after (devices, levels, resources) is the guide's own pcs commands, run on a node.
#   - The power fencing: fence_kw_power (cluster/fence_kw_power) stands where fence_ipmilan
#     stands; it asks the test's power switch (cluster/power-switch.py, on the host's end of
#     the bridge), which drives each VM through QEMU's monitor (QMP) and records every call.
#   - The operator's shell: cluster/kw-e2e-shell runs the host's commands that arrive on the
#     node's second serial port and writes their output back there.
#   - Corosync's token timeout is 10 s, not its default 3 s: three emulated machines on two host
#     cores are sometimes late by seconds, and a late token is a lost node.
#
# Scenarios, each judged from the cluster's own records (crm_mon, stonith_admin --history, every
# node's kdump-watchctl status, the power switch's log):
#   1. panic: the node running the resource panics; its capture kernel (kdump-tools', with our
#      hook) announces the dump, signed with its node key; level 1 confirms; the power agent is
#      never asked about that node; the resource runs on a survivor; the dump is saved; the node
#      reboots and rejoins; both survivors' daemons show the episode `finished`.
#   2. hang: kdump-tools' capture kernel is unloaded, then the node panics, so it hangs (no
#      kdump); level 1 fails by the agent's own timeout, once, level 2 resets the node through
#      the power agent, the resource recovers on a survivor, and the node rejoins.
#   3. forgery: a live node is cut off the network (its taps leave the bridges) while a machine
#      outside the cluster, with the node's address, sends version 1 and forged signed messages
#      naming it (the real key id, another key): the survivors count them `unauthenticated` and
#      `bad_mac`, its entry does not change, level 1 fails, level 2 resets the node.
#   4. key rotation by the guide's procedure (a new key beside the old, KEY naming the new, which
#      the package's path unit builds into every image, the new alone): at every step every
#      node's image key is one its daemon accepts (`key_current`), and at the end every node's
#      `kdump-watchctl check` is ready.
#   5. the DC panics after the rotation: the same outcome as 1, signed with the new key alone.
# Needs root, debootstrap, qemu-system-x86, e2fsprogs, iproute2, pcs and python3
# (scripts/install-deps.sh e2e); the Debian archive (DEBIAN_MIRROR) the first time.
set -euo pipefail

bench=""
if [ "${1:-}" = --bench ]; then bench=yes; shift; fi
DEB=${1:?usage: cluster.sh [--bench] KDUMP-WATCH-DEB}
DEB=$(readlink -f "$DEB")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/.build/debug}
SENDER=${SENDER:-$root/.build-embedded/release/kdump-watch-send}
CACHE=${CACHE:-$root/.build-e2e}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
nodes="kwnode1 kwnode2 kwnode3"
CONSOLES="kwnode1.console kwnode2.console kwnode3.console power.log"
# shellcheck source=Tests/EndToEnd/host.sh
. "$here/host.sh"

[ "$(id -u)" = 0 ] || { echo "e2e-cluster: needs root (debootstrap, network namespaces)" >&2; exit 2; }
for tool in debootstrap qemu-system-x86_64 mkfs.ext4 debugfs ip pcs python3; do
    command -v "$tool" >/dev/null || { echo "e2e-cluster: missing $tool: run scripts/install-deps.sh e2e" >&2; exit 2; }
done
for program in "$BUILD/kdump-watchctl" "$SENDER"; do
    [ -x "$program" ] || { echo "e2e-cluster: missing $program: build first (make e2e-cluster does)" >&2; exit 2; }
done
[ -r "$DEB" ] || { echo "e2e-cluster: no package $DEB: make deb" >&2; exit 2; }
if [ -n "$bench" ]; then
    # Upstream's agent and sender, Debian's, for the benchmark's second half.
    eval "$("$root/scripts/reference-agents.sh" "$root/.build-reference")"
fi

work=$(mktemp -d /tmp/kw-e2e-cluster.XXXXXX)
started=$(date +%s.%N)
pids=()
namespace=kw-cluster-$$
forger=kw-forger-$$
remove_namespace() { ip netns del "$namespace" 2>/dev/null || true; ip netns del "$forger" 2>/dev/null || true; }
cleanup_more=remove_namespace
# After a failure, before the machines stop: every node that still answers writes its journal and
# logs to its disk, so that the kept /var images (KEEP_LOGS) hold what led to the failure.
flush_node_logs() {
    local node id deadline
    for node in ${nodes:-}; do
        [ -p "$work/$node.shell.in" ] || continue
        id=f$(date +%s%N)
        # shellcheck disable=SC2016 # sh -c expands them
        timeout 5 sh -c 'echo "$1 journalctl --sync; sync" >"$2"' - "$id" "$work/$node.shell.in" || continue
        deadline=$((SECONDS + 20))
        until grep -q "^kw-e2e-done $id " "$work/$node.shell.log" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
    done
}
before_stop=flush_node_logs
trap cleanup EXIT

# The network: two bridges in a namespace of their own, one a corosync link. On the first, kwbr0,
# the host's end (the power switch, and a machine outside the cluster) at .1 and the nodes at
# .11, .12, .13 on tap devices kwtapN, the names in /etc/hosts, where the capture kernel speaks.
# On the second, kwbr1, the nodes alone on taps kwtapNb. No DHCP.
host_address=192.168.78.1
address_of() { echo "192.168.78.1${1#kwnode}"; }
second_address_of() { echo "192.168.79.1${1#kwnode}"; }
ip netns add "$namespace"
ip -n "$namespace" link set lo up
ip -n "$namespace" link add kwbr0 type bridge
ip -n "$namespace" addr add "$host_address/24" dev kwbr0
ip -n "$namespace" link add kwbr1 type bridge
ip -n "$namespace" link set kwbr0 up
ip -n "$namespace" link set kwbr1 up
# link_node NODE on|off: NODE's two taps join their bridges, or leave them (the node runs on,
# unheard).
link_node() {
    local tap
    for tap in "kwtap${1#kwnode}:kwbr0" "kwtap${1#kwnode}b:kwbr1"; do
        if [ "$2" = on ]; then
            ip -n "$namespace" link set "${tap%:*}" master "${tap#*:}" up
        else
            ip -n "$namespace" link set "${tap%:*}" nomaster
        fi
    done
}
for node in $nodes; do
    ip -n "$namespace" tuntap add "kwtap${node#kwnode}" mode tap
    ip -n "$namespace" tuntap add "kwtap${node#kwnode}b" mode tap
    link_node "$node" on
done

# ---------------------------------------------------------------------------------------------
# The nodes' base system: python3-cffi-backend provides what python3-cryptography (for pcs) needs.
debian_base debian-cluster-node \
    "linux-image-cloud-amd64,systemd-sysv,udev,kmod,initramfs-tools,kdump-tools,makedumpfile,ifupdown,iproute2,procps,corosync,pacemaker,pacemaker-cli-utils,pcs,python3-cffi-backend"

# What every node shares: corosync.conf from pcs, the corosync and Pacemaker keys.
pcs_setup=(kw-e2e)
for node in $nodes; do pcs_setup+=("$node" "addr=$(address_of "$node")" "addr=$(second_address_of "$node")"); done
pcs cluster setup "${pcs_setup[@]}" totem token=10000 --corosync_conf "$work/corosync.conf" >"$work/pcs-setup.log" 2>&1 \
    || { cat "$work/pcs-setup.log" >&2; fail "pcs cluster setup --corosync_conf failed"; }
head -c 256 /dev/urandom >"$work/corosync-authkey"
head -c 256 /dev/urandom >"$work/pacemaker-authkey"

# One node's disks: the base system, its name and static address, corosync and Pacemaker set
# up, KdumpWatch installed by apt and configured as the operator's guide says.
make_node() { # node
    local node=$1 tree=$work/$1.rootfs other peers=""
    cp -a "$base" "$tree"
    rm -f "$tree/.complete"
    echo "$node" >"$tree/etc/hostname"
    {
        echo "127.0.0.1 localhost"
        for other in $nodes; do echo "$(address_of "$other") $other"; done
        echo "$host_address kwhost"
    } >"$tree/etc/hosts"
    printf '%s\n' "/dev/vda / ext4 errors=remount-ro 0 1" "/dev/vdb /var ext4 defaults 0 2" >"$tree/etc/fstab"
    printf '%s\n' "auto lo" "iface lo inet loopback" "" "auto ens3" "iface ens3 inet static" \
        "    address $(address_of "$node")/24" "    gateway $host_address" "" "auto ens4" "iface ens4 inet static" \
        "    address $(second_address_of "$node")/24" >"$tree/etc/network/interfaces"
    install -m 0644 "$work/corosync.conf" "$tree/etc/corosync/corosync.conf"
    install -m 0400 "$work/corosync-authkey" "$tree/etc/corosync/authkey"
    install -m 0640 -g "$(chroot "$tree" getent group haclient | cut -d: -f3)" "$work/pacemaker-authkey" "$tree/etc/pacemaker/authkey"
    chroot "$tree" systemctl disable pcsd.service pcsd-ruby.service >/dev/null 2>&1
    chroot "$tree" systemctl enable corosync.service pacemaker.service >/dev/null 2>&1
    install -m 0644 "$DEB" "$tree/tmp/kdump-watch.deb"
    mount -t proc proc "$tree/proc"
    chroot "$tree" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/kdump-watch.deb \
        >"$work/$node.apt.log" 2>&1 || { umount "$tree/proc"; tail -n 20 "$work/$node.apt.log" >&2; fail "$node: apt install ./kdump-watch.deb failed"; }
    # The guide: the key from Pacemaker's, the nodes from corosync, the peers to announce to.
    chroot "$tree" kdump-watchctl keygen --from-pacemaker >"$work/$node.keygen.log" 2>&1 \
        || { umount "$tree/proc"; cat "$work/$node.keygen.log" >&2; fail "$node: kdump-watchctl keygen --from-pacemaker failed"; }
    umount "$tree/proc"
    rm -f "$tree/tmp/kdump-watch.deb"
    printf '%s\n' "nodes = corosync" "allow = nodes" "auth_key = /etc/kdump-watch/authkey" \
        >>"$tree/etc/kdump-watch/kdump-watchd.conf"
    for other in $nodes; do [ "$other" = "$node" ] || peers="$peers $other"; done
    echo "NODES=\"${peers# }\"" >>"$tree/etc/kdump-watch/kdump-watch-send.conf"
    # The test's parts: the power agent, the shell on the second serial port.
    install -m 0755 "$here/cluster/fence_kw_power" "$tree/usr/sbin/fence_kw_power"
    install -m 0755 "$here/cluster/kw-e2e-shell" "$tree/usr/local/sbin/kw-e2e-shell"
    install -m 0644 "$here/cluster/kw-e2e-shell.service" "$tree/etc/systemd/system/kw-e2e-shell.service"
    chroot "$tree" systemctl enable kw-e2e-shell.service >/dev/null 2>&1
    if [ -n "$bench" ]; then
        install -m 0755 "$FENCE_KDUMP" "$tree/usr/sbin/fence_kdump"
        install -D -m 0755 "$FENCE_KDUMP_SEND" "$tree/usr/libexec/fence-agents/fence_kdump_send"
    fi
    # The disks: / without /var, and /var.
    mkdir "$work/$node.var"
    mv "$tree/var/"* "$work/$node.var/"
    truncate -s 3G "$work/$node.root.img"
    truncate -s 2G "$work/$node.var.img"
    mkfs.ext4 -q -F -d "$tree" "$work/$node.root.img"
    mkfs.ext4 -q -F -d "$work/$node.var" "$work/$node.var.img"
    rm -rf "$work/$node.var"
    [ "$node" = kwnode1 ] && cp "$tree"/boot/vmlinuz-* "$tree"/boot/initrd.img-* "$work/"
    rm -rf "$tree"
}
for node in $nodes; do make_node "$node"; done
kernel=$(find "$work" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$work/initrd.img-${kernel##*/vmlinuz-}
cmdline="root=/dev/vda ro console=ttyS0 $(sed -n 's/.*\(crashkernel=[^ "]*\).*/\1/p' "$base/etc/default/grub.d/kdump-tools.cfg")"
phase "nodes: disks made for $nodes (apt installed $(basename "$DEB") on each)"

# ---------------------------------------------------------------------------------------------
# The machines, the power switch, the shells.
monitors=()
for node in $nodes; do monitors+=("$node=$work/$node.qmp"); done
ip netns exec "$namespace" python3 "$here/cluster/power-switch.py" "$host_address" 7501 "$work/power.log" "${monitors[@]}" \
    >"$work/power-switch.out" 2>&1 &
pids+=($!)
touch "$work/power.log"
declare -A qemu
start_machine() { # node
    local node=$1 number=${1#kwnode}
    mkfifo "$work/$node.shell.in" "$work/$node.shell.out"
    ip netns exec "$namespace" qemu-system-x86_64 -nodefaults -display none -no-user-config -accel tcg -m 1024 -smp 1 \
        -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
        -drive "file=$work/$node.root.img,if=virtio,format=raw" -drive "file=$work/$node.var.img,if=virtio,format=raw" \
        -netdev "tap,id=net0,ifname=kwtap$number,script=no,downscript=no" \
        -device "virtio-net-pci,netdev=net0,mac=52:54:00:4b:57:1$number,addr=0x3,romfile=" \
        -netdev "tap,id=net1,ifname=kwtap${number}b,script=no,downscript=no" \
        -device "virtio-net-pci,netdev=net1,mac=52:54:00:4b:58:1$number,addr=0x4,romfile=" \
        -qmp "unix:$work/$node.qmp,server=on,wait=off" \
        -serial "file:$work/$node.console" -serial "pipe:$work/$node.shell" >"$work/$node.qemu.log" 2>&1 &
    qemu[$node]=$!
    pids+=($!)
    cat "$work/$node.shell.out" >>"$work/$node.shell.log" &
    pids+=($!)
}
for node in $nodes; do start_machine "$node"; done
await_console() { await_text "$work/$1.console" "$2" "$3" "${qemu[$1]}" "$1"; } # node text seconds
# on NODE COMMAND [SECONDS]: runs COMMAND on NODE through its shell, prints its output, and
# returns its exit status; fails the test when no answer comes within SECONDS (60).
on() {
    local node=$1 deadline=$((SECONDS + ${3:-60})) id status
    # Unique across subshells, where a counter would not be.
    id=c$(date +%s%N)
    echo "$id $2" >"$work/$node.shell.in"
    until grep -q "^kw-e2e-done $id " "$work/$node.shell.log"; do
        [ $SECONDS -lt $deadline ] || fail "$node: no answer to \"$2\" within ${3:-60} s"
        sleep 0.2
    done
    sed -n "/^kw-e2e-begin $id\$/,/^kw-e2e-done $id /p" "$work/$node.shell.log" | sed '1d;$d'
    status=$(sed -n "s/^kw-e2e-done $id \([0-9]*\)$/\1/p" "$work/$node.shell.log")
    return "$status"
}
# send NODE COMMAND: starts COMMAND on NODE and does not wait (a panic never answers).
send() {
    echo "c$(date +%s%N) $2" >"$work/$1.shell.in"
}
# until_on NODE COMMAND SECONDS WHAT: until COMMAND succeeds on NODE; fails with WHAT after SECONDS.
until_on() {
    local deadline=$((SECONDS + $3))
    until on "$1" "$2" >/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "$4 (not within $3 s)"
        sleep 1
    done
}
online_is() { # node expected-online-list: crm_mon's online line on NODE is exactly the list
    local line
    line=$(on "$1" "crm_mon -1 2>/dev/null | grep -o 'Online: \[.*\]'" || true)
    [ "$line" = "Online: [ $2 ]" ]
}
await_online() { # node list seconds what
    local deadline=$((SECONDS + $3))
    until online_is "$1" "$2"; do
        [ $SECONDS -lt $deadline ] || fail "$4: crm_mon on $1 says $(on "$1" "crm_mon -1 2>&1 | grep -E 'Online|OFFLINE|UNCLEAN'" | tr '\n' ' ' || true) (not within $3 s)"
        sleep 2
    done
}
located() { on "$1" "crm_resource --locate --resource dummy 2>/dev/null" | sed -n 's/.*is running on: \([a-z0-9]*\).*/\1/p'; }
# A field of NODE's daemon's entry for HOST in `kdump-watchctl status --json`, or "absent".
entry_field() { on "$1" "kdump-watchctl status --json" | status_field "$2" "$3"; } # node host field
# The host's commands reach a rebooted node only once its shell runs again: count its starts.
shell_starts() { grep -c 'kw-e2e: shell ready' "$work/$1.console" 2>/dev/null || true; } # node
await_shell() { # node starts-before seconds
    local deadline=$((SECONDS + $3))
    until [ "$(shell_starts "$1")" -gt "$2" ]; do
        [ $SECONDS -lt $deadline ] || fail "$1: its shell did not start again within $3 s"
        sleep 1
    done
}
# on_every_node NAME SECONDS WHAT COMMAND: COMMAND on the three nodes at once (an image rebuild
# takes minutes under emulation), each one's output in $work/NODE.NAME.log; fails with WHAT.
on_every_node() {
    local node pid started_on=()
    for node in $nodes; do
        on "$node" "$4" "$2" >"$work/$node.$1.log" 2>&1 &
        started_on+=($!)
    done
    for pid in "${started_on[@]}"; do wait "$pid" || fail "$3 (see $work/*.$1.log)"; done
}
# power_calls NODE [BEFORE]: the power switch's calls about NODE, after the first BEFORE of them.
power_calls() { awk -v node="$1" '$3 == node && $2 != "status"' "$work/power.log" | tail -n +$((${2:-0} + 1)); }
# invalid_count NODE COUNTER: a counter of datagrams NODE's daemon refused (status --json).
invalid_count() {
    on "$1" "kdump-watchctl status --json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["invalid"][sys.argv[1]])' "$2"
}
# check_ok NODE CHECK: True or False, CHECK's result in NODE's `kdump-watchctl check --json`.
check_ok() {
    on "$1" "kdump-watchctl check --json || true" \
        | python3 -c 'import json, sys; print(next(c["ok"] for c in json.load(sys.stdin)["checks"] if c["name"] == sys.argv[1]))' "$2"
}
# A failed level 1 attempt ends in a fencer's log by the agent's own timeout ("timeout after N
# seconds") or by the fencer's kill at the action's timeout ("Timed Out"). The guide's
# pcmk_*_timeout and pcmk_*_retries=1 make it the agent's, once.
level1_endings() { # node
    on "$1" "grep -ah -e 'fence_kdump_watch.*timeout after' -e 'using kdump .*Timed Out' /var/log/pacemaker/pacemaker.log" || true
}
declare -A level1_seen
mark_level1() { # target: remembers how many endings every other node has logged
    local node
    for node in $nodes; do [ "$node" = "$1" ] || level1_seen[$node]=$(level1_endings "$node" | wc -l); done
}
check_level1() { # label target: the endings since mark_level1 are the agent's own timeout, once
    local node new
    new=$(for node in $nodes; do
        [ "$node" = "$2" ] || level1_endings "$node" | tail -n +$((level1_seen[$node] + 1))
    done)
    [ -n "$new" ] || fail "$1: no failed level 1 attempt in the survivors' fencer logs"
    ! grep -q 'Timed Out' <<<"$new" || fail "$1: the fencer killed level 1 at the action's timeout: $new"
    # The fencer logs an agent's stderr twice (as its output and as a warning): one run is one
    # node and process id.
    [ "$(sed -n 's/^[A-Z][a-z]* [0-9]* [0-9:.]* \([a-z0-9]*\) .*fence_kdump_watch[a-z0-9_]*\[\([0-9]*\)\].*/\1 \2/p' <<<"$new" | sort -u | wc -l)" = 1 ] \
        || fail "$1: level 1 ran more than once: $new"
    phase "$1: level 1 ended once, by the agent's own $(sed -n 's/.*\(timeout after [0-9]* seconds\).*/\1/p' <<<"$new" | sort -u)"
}

# ---------------------------------------------------------------------------------------------
# Boot, and the cluster forms.
for node in $nodes; do await_console "$node" "kw-e2e: shell ready" 1200; done
phase "nodes booted: $(for node in $nodes; do printf '%s ' "$node"; on "$node" "kdump-config status | grep -o 'ready to kdump'" || true; done | tr '\n' ' ')"
for node in $nodes; do
    on "$node" "kdump-config status | grep -q 'ready to kdump'" || fail "$node: kdump-tools did not load the capture kernel"
    on "$node" "kdump-watchctl check" >"$work/$node.check" || { cat "$work/$node.check" >&2; fail "$node: kdump-watchctl check is not ready"; }
done
phase "every node: kdump-tools ready to kdump, kdump-watchctl check ready"
await_online kwnode1 "$nodes" 600 "the cluster did not form"
# Both corosync links up between every two nodes (pcs numbers the nodes 1, 2, 3 in order).
for node in $nodes; do
    for other in $nodes; do
        [ "$other" = "$node" ] && continue
        until_on "$node" "corosync-cmapctl -m stats stats.knet.node${other#kwnode}.link1.connected | grep -q '= 1\$'" 120 \
            "$node: corosync's second link to $other is not connected (corosync-cfgtool -n on it)"
    done
done
phase "cluster formed: Online: [ $nodes ], over both corosync links"
# Under emulation, Pacemaker 2.1.5's fencer may start before the CIB manager answers ("Could not
# connect to the CIB manager"). In a bench run such a fencer never connected later and never
# learnt the devices and the topology: as the DC, it fenced a dumping node with the power agent
# at once, skipping level 1. The guide's remedy: restart Pacemaker on that node.
for node in $nodes; do
    on "$node" "journalctl -b -t pacemaker-fenced | grep -q 'Could not connect to the CIB manager'" || continue
    on "$node" "systemctl restart pacemaker" 300 >/dev/null || fail "$node: systemctl restart pacemaker failed"
    phase "$node: its fencer had started without the CIB manager; Pacemaker restarted on it (the guide's remedy)"
    await_online kwnode1 "$nodes" 600 "$node did not rejoin after Pacemaker's restart"
done

# The guide's Pacemaker setup, run on kwnode1 as written but for the names: node1..3 become
# kwnode1..3, and the power agent stands where fence_ipmilan stands (see the header).
setup=$(awk '/^### Pacemaker setup/ { section = 1 } section && /^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside' \
    "$root/Documentation/operators-guide.md")
[ -n "$setup" ] || fail "no pcs block in the operator's guide's Pacemaker setup"
setup=$(printf '%s\n' "$setup" | sed -e 's/node\([123]\)/kwnode\1/g' \
    -e "s/fence_ipmilan ip=[^ ]* username=[^ ]* password=[^ ]*/fence_kw_power ip=$host_address/")
printf '%s\n' "$setup" >"$work/pcs-setup.sh"
on kwnode1 "echo $(base64 -w 0 "$work/pcs-setup.sh") | base64 -d | sh -e" 300 >"$work/pcs-setup.out" 2>&1 \
    || { cat "$work/pcs-setup.sh" "$work/pcs-setup.out" >&2; fail "the guide's pcs commands failed on kwnode1"; }
# Sticky, so that it stays where run_on_node moved it once the move's constraint is cleared (a
# bench run saw it move back just before the panic).
on kwnode1 "pcs resource create dummy ocf:pacemaker:Dummy op monitor interval=10s meta resource-stickiness=100" >/dev/null \
    || fail "pcs resource create dummy failed"
until_on kwnode1 "crm_mon -1 | grep -q 'kdump.*Started' && crm_resource --locate --resource dummy | grep -q 'running on'" 300 \
    "the kdump device or the resource did not start"
on kwnode1 "pcs stonith level config" | sed 's/^/    /'
for node in $nodes; do
    until_on "$node" "stonith_admin --list-registered | grep -qx kdump" 120 \
        "$node's fencer does not know the kdump device (stonith_admin --list-registered on it)"
done
phase "the guide's fencing topology and the resource dummy configured; every node's fencer knows the kdump device"

# last_fencing NODE: the newest successful fencing of NODE that the other nodes' fencers know of,
# as "COMPLETED-TIME ENTRY" (a fencer that rejoined may not have learnt every entry).
last_fencing() {
    local node
    for node in $nodes; do
        [ "$node" = "$1" ] || on "$node" "stonith_admin --history $1 --verbose 2>/dev/null" || true
    done | { grep -E "(reboot|off) of $1 successful" || true; } | sed -n "s/^ *\(.*completed='\([^']*\)'.*\)/\2 \1/p" | sort | tail -n 1
}
survivor_of() { for node in $nodes; do [ "$node" = "$1" ] || { echo "$node"; return; }; done; } # node
# await_fenced NODE SECONDS BEFORE: until a successful fencing of NODE newer than BEFORE (its
# last_fencing before the failure) is known; sets fencing to it.
await_fenced() {
    local deadline=$((SECONDS + $2))
    until fencing=$(last_fencing "$1") && [ -n "$fencing" ] && [ "$fencing" != "$3" ]; do
        [ $SECONDS -lt $deadline ] || fail "$1 was not fenced within $2 s (last fencing: ${fencing:-none})"
        sleep 1
    done
    fencing=${fencing#* * }
}
# await_resource_on_survivor OBSERVER LOST SECONDS
await_resource_on_survivor() {
    local deadline=$((SECONDS + $3)) where
    while where=$(located "$1"); [ -z "$where" ] || [ "$where" = "$2" ]; do
        [ $SECONDS -lt $deadline ] || fail "dummy did not recover on a survivor of $2 within $3 s (running on: ${where:-nowhere})"
        sleep 1
    done
    recovered_on=$where
}

# run_on_node NODE: dummy is moved to NODE (a location constraint of the test's, removed once it
# runs there, so that it may leave NODE again); the node that runs it is the one that fails.
run_on_node() {
    [ "$(located "$observer")" = "$1" ] && return 0
    on "$observer" "crm_resource --move --resource dummy --node $1" >/dev/null || fail "crm_resource --move to $1 failed"
    until_on "$observer" "crm_resource --locate --resource dummy | grep -q 'running on: $1'" 300 "dummy did not move to $1"
    on "$observer" "crm_resource --clear --resource dummy" >/dev/null || fail "crm_resource --clear failed"
    [ "$(located "$observer")" = "$1" ] || fail "dummy left $1 when the move's constraint was cleared"
}
designated_controller() { on "$1" "crm_mon -1" | sed -n 's/.*Current DC: \([a-z0-9]*\).*/\1/p'; } # observer
# fail_over LABEL TARGET [power-allowed]: TARGET, which runs dummy, panics, and kdump-tools'
# capture kernel announces it; returns once it is fenced and dummy runs on a survivor. Fenced by
# the power agent (level 2) is a failure, unless power-allowed: then fenced_by says which level
# fenced it. The nodes' clocks are set to the host's first (a VM boots with its RTC's whole
# seconds), so that their logs and the host's times compare.
fail_over() {
    local label=$1 node before calls
    target=$2
    calls_before=$(power_calls "$target" | wc -l)
    observer=$(survivor_of "$target")
    run_on_node "$target"
    for node in $nodes; do on "$node" "date -s @$(date +%s.%N) >/dev/null" || fail "$node: its clock was not set"; done
    before=$(last_fencing "$target")
    starts=$(shell_starts "$target")
    panic_at=$(date +%s.%N)
    send "$target" "sync; echo c > /proc/sysrq-trigger"
    phase "$label: $target, which runs dummy, panics at $(date -u -d "@$panic_at" +%T.%3N) (echo c > /proc/sysrq-trigger)"
    await_fenced "$target" 600 "$before"
    phase "$label: $target fenced, $(since "$panic_at") after the panic: $fencing"
    await_resource_on_survivor "$observer" "$target" 300
    phase "$label: dummy started on $recovered_on, $(since "$panic_at") after the panic"
    fenced_by="level 1"
    calls=$(power_calls "$target" "$calls_before")
    if [ -n "$calls" ]; then
        [ "${3:-}" = power-allowed ] || fail "$label: the power agent was asked about $target, which was dumping: $calls"
        fenced_by="level 2"
        phase "$label: level 1 did not confirm; the power agent: $(tr '\n' ' ' <<<"$calls")"
    fi
}
# rejoined LABEL EVENT SINCE WHAT: the failed node (target) is back in the cluster after WHAT, and
# its shell runs again (starts: shell_starts before the failure); EVENT happened at SINCE.
rejoined() {
    await_online "$observer" "$nodes" 1200 "$target did not rejoin after $4"
    await_shell "$target" "$starts" 600
    phase "$1: $target rejoined after $4, $(since "$3") after the $2"
}
# panic LABEL TARGET: fail_over, then the survivors' daemons, the dump, and the episode finished.
panic() {
    local label=$1 node state dump
    fail_over "$label" "$2"
    timeline "$label" "$target" "$panic_at"
    for node in $nodes; do
        [ "$node" = "$target" ] && continue
        state=$(entry_field "$node" "$target" state)
        case $state in dumping | finished) ;; *) fail "$node's kdump-watchd: $target is $state, not dumping" ;; esac
        [ "$(entry_field "$node" "$target" auth)" = True ] || fail "$node's kdump-watchd: $target's entry is not signed"
    done
    phase "$label: both survivors' kdump-watchd saw $target's signed messages, first at $(entry_field "$observer" "$target" first_seen)"
    rejoined "$label" panic "$panic_at" "its dump"
    for node in $nodes; do
        [ "$node" = "$target" ] && continue
        [ "$(entry_field "$node" "$target" state)" = finished ] \
            || fail "$node's kdump-watchd: $target's episode is $(entry_field "$node" "$target" state), not finished"
        [ "$(entry_field "$node" "$target" phase)" = finished ] || fail "$node's kdump-watchd: $target's last phase is not finished"
    done
    dump=$(on "$target" "ls /var/crash/*/dump.*" | tail -n 1) || fail "$target: kdump-tools saved no dump in /var/crash"
    phase "$label: both survivors show $target's episode finished; $target has $dump"
    [ -z "$(power_calls "$target" "$calls_before")" ] || fail "the power agent was asked about $target: $(power_calls "$target" "$calls_before")"
}
# failover_log TARGET SINCE: the survivors' pacemaker.log lines that split TARGET's failover (node
# lost, fencing requested, fencing done, dummy started) from SINCE (date +%s.%N) on, in time
# order, each after its time in seconds since the epoch. grep -a: a node's log holds NUL bytes
# where a power reset cut it short.
failover_log() {
    local node
    for node in $nodes; do
        [ "$node" = "$1" ] && continue
        on "$node" "grep -ahE \"Node $1 state is now lost|Requesting fencing .*of node $1|Operation '(reboot|off)' .*targeting $1.*: OK|Result of start operation for dummy on $node: ok\" /var/log/pacemaker/pacemaker.log" || true
    done | python3 -c '
import datetime, sys
since = float(sys.argv[1]) - 2  # the clocks of the nodes may be off the host clock by a second or so
year = datetime.datetime.fromtimestamp(since, datetime.timezone.utc).year
for line in sys.stdin:
    try:
        stamp = datetime.datetime.strptime(f"{year} {line[:19]}", "%Y %b %d %H:%M:%S.%f")
    except ValueError:
        continue
    seconds = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
    if seconds >= since:
        print(f"{seconds:.3f} {line}", end="")
' "$2" | sort -n
}
# timeline LABEL TARGET SINCE: failover_log, shown and kept in $work/timeline.
timeline() { failover_log "$2" "$3" | cut -d ' ' -f 2- | sed "s/^/    $1: /" | tee -a "$work/timeline"; }

# The failover benchmark instead of the scenarios: it ends the run.
if [ -n "$bench" ]; then
    # shellcheck source=Tests/EndToEnd/cluster/bench.sh
    . "$here/cluster/bench.sh"
fi

# ---------------------------------------------------------------------------------------------
# Scenario 1: a node that is not the DC panics. Scenario 5 (below): the DC panics.
observer=kwnode1
dc=$(designated_controller kwnode1)
[ -n "$dc" ] || fail "crm_mon on kwnode1 names no DC"
for node in $nodes; do [ "$node" = "$dc" ] || not_dc=$node; done
panic panic "$not_dc"

# ---------------------------------------------------------------------------------------------
# Scenario 2: a node that runs dummy hangs: no capture kernel is loaded when it panics.
target=$(survivor_of "$dc")
observer=$(survivor_of "$target")
run_on_node "$target"
on "$target" "kdump-config unload" >/dev/null || fail "$target: kdump-config unload failed"
before=$(last_fencing "$target")
calls_before=$(power_calls "$target" | wc -l)
starts=$(shell_starts "$target")
mark_level1 "$target"
hang_at=$(date +%s.%N)
send "$target" "sync; echo c > /proc/sysrq-trigger"
phase "hang: $target, which runs dummy, panics with no capture kernel loaded"
await_fenced "$target" 600 "$before"
phase "hang: $target fenced, $(since "$hang_at") after the hang: $fencing"
power_calls "$target" "$calls_before" | grep -q " reboot $target ok on" || fail "the power agent did not reset $target: $(power_calls "$target" "$calls_before")"
phase "hang: the power switch's log: $(power_calls "$target" "$calls_before" | tr '\n' ' ')"
check_level1 hang "$target"
await_resource_on_survivor "$observer" "$target" 300
phase "hang: dummy started on $recovered_on, $(since "$hang_at") after the hang"
[ "$(entry_field "$observer" "$target" state)" != dumping ] || fail "$observer's kdump-watchd shows $target dumping"
rejoined hang hang "$hang_at" "the power agent's reset"

# ---------------------------------------------------------------------------------------------
# Scenario 3: a live node is cut off while a machine outside the cluster speaks for it: from the
# node's own address, version 1 messages and signed ones that name it, with the cluster key's id
# and another key. Neither may confirm its fencing.
dc=$(designated_controller "$observer")
target=$(survivor_of "$dc")
observer=$(survivor_of "$target")
peer_addresses=()
for node in $nodes; do [ "$node" = "$target" ] || peer_addresses+=("$(address_of "$node")"); done
key_id=$(on "$observer" "kdump-watchctl keygen --key-id") || fail "kdump-watchctl keygen --key-id failed on $observer"
"$BUILD/kdump-watchctl" keygen --output "$work/forged.key" >/dev/null
declare -A unauthenticated_before bad_mac_before entry_before
for node in $nodes; do
    [ "$node" = "$target" ] && continue
    unauthenticated_before[$node]=$(invalid_count "$node" unauthenticated)
    bad_mac_before[$node]=$(invalid_count "$node" bad_mac)
    entry_before[$node]=$(entry_field "$node" "$target" last_seen)
done
before=$(last_fencing "$target")
starts=$(shell_starts "$target")
calls_before=$(power_calls "$target" | wc -l)
mark_level1 "$target"
# The node's taps leave the bridges: the node runs on, unheard. The forger's veth joins the first.
link_node "$target" off
cut_at=$(date +%s.%N)
ip netns add "$forger"
ip -n "$namespace" link add kwforge type veth peer name eth0 netns "$forger"
ip -n "$namespace" link set kwforge master kwbr0 up
ip -n "$forger" link set lo up
ip -n "$forger" addr add "$(address_of "$target")/24" dev eth0
ip -n "$forger" link set eth0 up
ip netns exec "$forger" "$SENDER" -i 1 "${peer_addresses[@]}" >"$work/forger-v1.log" 2>&1 &
forgers=($!)
ip netns exec "$forger" "$SENDER" --key "$work/forged.key" --key-id "$key_id" --node-name "$target" -i 1 \
    "${peer_addresses[@]}" >"$work/forger-signed.log" 2>&1 &
forgers+=($!)
pids+=("${forgers[@]}")
phase "forgery: $target cut off; from its address $(address_of "$target") outside the cluster, version 1 and forged signed messages naming it (key id $key_id), one of each a second"
await_fenced "$target" 600 "$before"
phase "forgery: $target fenced, $(since "$cut_at") after the cut: $fencing"
kill "${forgers[@]}"
power_calls "$target" "$calls_before" | grep -q " reboot $target ok on" \
    || fail "forgery: the power agent did not reset $target: $(power_calls "$target" "$calls_before")"
check_level1 forgery "$target"
counts=""
for node in $nodes; do
    [ "$node" = "$target" ] && continue
    unauthenticated=$(($(invalid_count "$node" unauthenticated) - unauthenticated_before[$node]))
    bad_mac=$(($(invalid_count "$node" bad_mac) - bad_mac_before[$node]))
    [ "$unauthenticated" -gt 0 ] || fail "forgery: $node's kdump-watchd counted no unauthenticated datagram"
    [ "$bad_mac" -gt 0 ] || fail "forgery: $node's kdump-watchd counted no bad_mac datagram"
    [ "$(entry_field "$node" "$target" last_seen)" = "${entry_before[$node]}" ] \
        || fail "forgery: $node's kdump-watchd changed $target's entry: $(entry_field "$node" "$target" state)"
    counts="$counts $node: $unauthenticated unauthenticated, $bad_mac bad_mac;"
done
phase "forgery: $target's entry unchanged;$counts"
ip netns del "$forger"
link_node "$target" on
rejoined forgery cut "$cut_at" "the power agent's reset"

# ---------------------------------------------------------------------------------------------
# Scenario 4: the cluster key rotates by the guide's procedure ("Signed messages"). A panic at
# any step must be confirmed, so every node's image key must be one its daemon accepts
# (`key_current`; every daemon has the same keys) at every step.
key_current_everywhere() { # step
    local node
    for node in $nodes; do
        [ "$(check_ok "$node" key_current)" = True ] || fail "key rotation, $1: $node's image key is not accepted: $(on "$node" "kdump-watchctl check" || true)"
    done
}
# The nodes' settings were written into their disks before the first boot, where no path unit
# saw them: kdump-watch-rebuild's record of what the image carries is the installation's. One run
# by hand brings it up to date (a rebuild), so that only a change the images carry rebuilds below
# (kdump-tools deletes the image while it rebuilds it: no check could read it meanwhile).
on_every_node record 900 "kdump-watch-rebuild.service failed" "systemctl start kdump-watch-rebuild.service"
on kwnode1 "kdump-watchctl keygen --output /etc/kdump-watch/authkey.new" >/dev/null || fail "kdump-watchctl keygen failed on kwnode1"
new_key=$(on kwnode1 "cat /etc/kdump-watch/authkey.new")
for node in kwnode2 kwnode3; do
    on "$node" "umask 077 && echo $new_key >/etc/kdump-watch/authkey.new" || fail "$node: the new key was not written"
done
both="auth_key = /etc/kdump-watch/authkey.new,/etc/kdump-watch/authkey"
for node in $nodes; do
    on "$node" "sed -i 's|^auth_key = .*|$both|' /etc/kdump-watch/kdump-watchd.conf && systemctl reload kdump-watchd" \
        || fail "$node: kdump-watchd did not reload with both keys"
done
key_current_everywhere "both keys"
phase "key rotation: a new key (id $(on kwnode1 "kdump-watchctl keygen --key-id --key /etc/kdump-watch/authkey.new")) beside the old on every node; every image's key accepted"
# The operator names the new key; the package's kdump-watch-rebuild.path rebuilds the image and
# reloads the capture kernel: done once no run is active and the image is newer than the edit.
on_every_node rebuild 60 "key rotation: KEY could not be set" \
    "echo KEY=/etc/kdump-watch/authkey.new >>/etc/kdump-watch/kdump-watch-send.conf"
rebuilt="systemctl show -P ActiveState kdump-watch-rebuild.service | grep -qx 'inactive\\|failed'"
rebuilt="$rebuilt && [ /var/lib/kdump/initrd.img-\$(uname -r) -nt /etc/kdump-watch/kdump-watch-send.conf ]"
for node in $nodes; do
    until_on "$node" "$rebuilt" 900 "key rotation: kdump-watch-rebuild.path did not rebuild $node's capture image"
    result=$(on "$node" "systemctl show -P Result kdump-watch-rebuild.service")
    [ "$result" = success ] || fail "key rotation: $node's kdump-watch-rebuild.service ended with $result"
done
key_current_everywhere "images rebuilt with the new key"
phase "key rotation: KEY changed; every node's path unit rebuilt its image; every image's key accepted"
for node in $nodes; do
    on "$node" "sed -i 's|^auth_key = .*|auth_key = /etc/kdump-watch/authkey.new|' /etc/kdump-watch/kdump-watchd.conf && systemctl reload kdump-watchd" \
        || fail "$node: kdump-watchd did not reload with the new key alone"
    on "$node" "kdump-watchctl check" >"$work/$node.check" || { cat "$work/$node.check" >&2; fail "key rotation: $node is not ready with the new key alone"; }
done
phase "key rotation: the new key alone on every node; kdump-watchctl check ready on every node"

# ---------------------------------------------------------------------------------------------
# Scenario 5: the DC panics (the cluster elects another first, then fences it), its capture
# kernel signing with the new key, the only one the daemons hold.
dc=$(designated_controller "$observer")
observer=$(survivor_of "$dc")
panic "DC panic" "$dc"
phase "DC panic: the new DC is $(designated_controller "$observer")"
on "$observer" "crm_mon -1" | sed 's/^/    /'

echo "e2e-cluster: PASS"
