#!/usr/bin/env bash
# End-to-end test of a real cluster (`make e2e-cluster`): three Debian 12 nodes, each made as
# debian-node.sh makes one (debootstrap, Debian's kernel, systemd, ifupdown, kdump-tools), with
# Debian's corosync 3 and Pacemaker, KdumpWatch from its .deb, on a static network of their own.
# The cluster itself notices a lost node, decides to fence it, and fences it through the fencing
# topology of the operator's guide: level 1 fence_kdump_watch, level 2 a power agent.
#
#   Tests/EndToEnd/cluster.sh DEB
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
#      kdump); level 1 fails after its timeout, level 2 resets the node through the power
#      agent, the resource recovers on a survivor, and the node rejoins.
#   3. the DC panics: the same outcome as 1.
# Needs root, debootstrap, qemu-system-x86, e2fsprogs, iproute2, pcs and python3
# (scripts/install-deps.sh e2e); the Debian archive (DEBIAN_MIRROR) the first time.
set -euo pipefail

DEB=${1:?usage: cluster.sh KDUMP-WATCH-DEB}
DEB=$(readlink -f "$DEB")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/.build/debug}
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
[ -x "$BUILD/kdump-watchctl" ] || { echo "e2e-cluster: missing $BUILD/kdump-watchctl: build first (make e2e-cluster does)" >&2; exit 2; }
[ -r "$DEB" ] || { echo "e2e-cluster: no package $DEB: make deb" >&2; exit 2; }

work=$(mktemp -d /tmp/kw-e2e-cluster.XXXXXX)
started=$(date +%s.%N)
pids=()
namespace=kw-cluster-$$
remove_namespace() { ip netns del "$namespace" 2>/dev/null || true; }
cleanup_more=remove_namespace
trap cleanup EXIT

# The network: a bridge in a namespace of its own with the host's end (the power switch, and a
# machine outside the cluster) at .1, the nodes at .11, .12, .13 on tap devices. No DHCP.
host_address=192.168.78.1
address_of() { echo "192.168.78.1${1#kwnode}"; }
ip netns add "$namespace"
ip -n "$namespace" link set lo up
ip -n "$namespace" link add kwbr0 type bridge
ip -n "$namespace" addr add "$host_address/24" dev kwbr0
ip -n "$namespace" link set kwbr0 up
for node in $nodes; do
    ip -n "$namespace" tuntap add "kwtap${node#kwnode}" mode tap
    ip -n "$namespace" link set "kwtap${node#kwnode}" master kwbr0 up
done

# ---------------------------------------------------------------------------------------------
# The nodes' base system, cached by the hash of what makes it. debootstrap does not resolve
# virtual packages: python3-cffi-backend provides what python3-cryptography (for pcs) needs.
node_packages="linux-image-cloud-amd64,systemd-sysv,udev,kmod,initramfs-tools,kdump-tools,makedumpfile,ifupdown,iproute2,procps,corosync,pacemaker,pacemaker-cli-utils,pcs,python3-cffi-backend"
base_key=$(printf '%s\n' "bookworm" "$node_packages" "$DEBIAN_MIRROR" | sha256sum | cut -c 1-16)
base=$CACHE/debian-cluster-node-$base_key
if [ -e "$base/.complete" ]; then
    phase "nodes: cached base system $base"
else
    rm -rf "$base"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase --include="$node_packages" bookworm "$base" "$DEBIAN_MIRROR" \
        >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -f "$base"/var/cache/apt/archives/*.deb
    touch "$base/.complete"
    phase "nodes: debootstrap made the base system ($(du -sh "$base" | cut -f 1))"
fi

# What every node shares: corosync.conf from pcs, the corosync and Pacemaker keys.
pcs_setup=(kw-e2e)
for node in $nodes; do pcs_setup+=("$node" "addr=$(address_of "$node")"); done
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
        "    address $(address_of "$node")/24" "    gateway $host_address" >"$tree/etc/network/interfaces"
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
since() { python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f} s')" "$(date +%s.%N)" "$1"; }
power_calls() { awk -v node="$1" '$3 == node && $2 != "status"' "$work/power.log"; } # node

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
phase "cluster formed: Online: [ $nodes ]"

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
on kwnode1 "pcs resource create dummy ocf:pacemaker:Dummy op monitor interval=10s" >/dev/null \
    || fail "pcs resource create dummy failed"
until_on kwnode1 "crm_mon -1 | grep -q 'kdump.*Started' && crm_resource --locate --resource dummy | grep -q 'running on'" 300 \
    "the kdump device or the resource did not start"
on kwnode1 "pcs stonith level config" | sed 's/^/    /'
phase "the guide's fencing topology and the resource dummy configured"

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
}
designated_controller() { on "$1" "crm_mon -1" | sed -n 's/.*Current DC: \([a-z0-9]*\).*/\1/p'; } # observer
# panic LABEL TARGET: TARGET, which runs dummy, panics; kdump-tools' capture kernel announces it.
panic() {
    local label=$1 node state before starts dump
    target=$2
    observer=$(survivor_of "$target")
    run_on_node "$target"
    before=$(last_fencing "$target")
    starts=$(shell_starts "$target")
    panic_at=$(date +%s.%N)
    send "$target" "sync; echo c > /proc/sysrq-trigger"
    phase "$label: $target, which runs dummy, panics at $(date -u -d "@$panic_at" +%T.%3N) (echo c > /proc/sysrq-trigger)"
    await_fenced "$target" 600 "$before"
    phase "$label: $target fenced, $(since "$panic_at") after the panic: $fencing"
    await_resource_on_survivor "$observer" "$target" 300
    phase "$label: dummy started on $recovered_on, $(since "$panic_at") after the panic"
    timeline "$label" "$target"
    [ -z "$(power_calls "$target")" ] || fail "the power agent was asked about $target, which was dumping: $(power_calls "$target")"
    for node in $nodes; do
        [ "$node" = "$target" ] && continue
        state=$(entry_field "$node" "$target" state)
        case $state in dumping | finished) ;; *) fail "$node's kdump-watchd: $target is $state, not dumping" ;; esac
        [ "$(entry_field "$node" "$target" auth)" = True ] || fail "$node's kdump-watchd: $target's entry is not signed"
    done
    phase "$label: both survivors' kdump-watchd saw $target's signed messages, first at $(entry_field "$observer" "$target" first_seen)"
    await_online "$observer" "$nodes" 1200 "$target did not rejoin after its dump"
    await_shell "$target" "$starts" 600
    phase "$label: $target rebooted after its dump and rejoined, $(since "$panic_at") after the panic"
    for node in $nodes; do
        [ "$node" = "$target" ] && continue
        [ "$(entry_field "$node" "$target" state)" = finished ] \
            || fail "$node's kdump-watchd: $target's episode is $(entry_field "$node" "$target" state), not finished"
        [ "$(entry_field "$node" "$target" phase)" = finished ] || fail "$node's kdump-watchd: $target's last phase is not finished"
    done
    dump=$(on "$target" "ls /var/crash/*/dump.*" | tail -n 1) || fail "$target: kdump-tools saved no dump in /var/crash"
    phase "$label: both survivors show $target's episode finished; $target has $dump"
    [ -z "$(power_calls "$target")" ] || fail "the power agent was asked about $target: $(power_calls "$target")"
}
# timeline LABEL NODE: the survivors' Pacemaker log lines that split a failover (node lost, fencing
# requested, fencing done, dummy started), in time order; kept in $work/timeline.
timeline() {
    local node
    for node in $nodes; do
        [ "$node" = "$2" ] && continue
        on "$node" "grep -hE \"Node $2 state is now lost|Requesting fencing .*$2|Operation '(reboot|off)' .*targeting $2.*: OK|Result of start operation for dummy on $node: ok\" /var/log/pacemaker/pacemaker.log | tail -n 4" || true
    done | sort -u | sed "s/^/    $1: /" | tee -a "$work/timeline"
}

# ---------------------------------------------------------------------------------------------
# Scenario 1: a node that is not the DC panics. Scenario 3 (below): the DC panics.
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
starts=$(shell_starts "$target")
hang_at=$(date +%s.%N)
send "$target" "sync; echo c > /proc/sysrq-trigger"
phase "hang: $target, which runs dummy, panics with no capture kernel loaded"
await_fenced "$target" 600 "$before"
phase "hang: $target fenced, $(since "$hang_at") after the hang: $fencing"
power_calls "$target" | grep -q " reboot $target ok on" || fail "the power agent did not reset $target: $(power_calls "$target")"
phase "hang: the power switch's log: $(power_calls "$target" | tr '\n' ' ')"
# How level 1 ended: the agent's own timeout, or the fencer's kill at the action's timeout.
level1=$(for node in $nodes; do
    [ "$node" = "$target" ] || on "$node" "grep -h -e 'fence_kdump_watch.*timeout after' -e 'using kdump .*Timed Out' /var/log/pacemaker/pacemaker.log" || true
done)
[ -n "$level1" ] || fail "hang: no failed level 1 attempt in the survivors' fencer logs"
phase "hang: level 1 ended: $(sed -n 's/.*\(\[info\]: timeout after [0-9]* seconds\|Timed Out.*within [0-9]*s)\).*/\1/p' <<<"$level1" | sort -u | tr '\n' ' ')"
await_resource_on_survivor "$observer" "$target" 300
phase "hang: dummy started on $recovered_on, $(since "$hang_at") after the hang"
[ "$(entry_field "$observer" "$target" state)" != dumping ] || fail "$observer's kdump-watchd shows $target dumping"
await_online "$observer" "$nodes" 1200 "$target did not rejoin after the reset"
await_shell "$target" "$starts" 600
phase "hang: $target rejoined after the power agent's reset, $(since "$hang_at") after the hang"

# ---------------------------------------------------------------------------------------------
# Scenario 3: the DC panics (the cluster elects another first, then fences it).
observer=$(survivor_of "$dc")
dc=$(designated_controller "$observer")
panic "DC panic" "$dc"
phase "DC panic: the new DC is $(designated_controller "$observer")"
on "$observer" "crm_mon -1" | sed 's/^/    /'

echo "e2e-cluster: PASS"
