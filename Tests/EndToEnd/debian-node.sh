#!/usr/bin/env bash
# End-to-end test on a real Debian node (`make e2e`): a Debian 12 system made by debootstrap,
# with its own kernel, systemd, ifupdown and Debian's kdump-tools, KdumpWatch installed from the
# .deb by apt, configured only as the operator's guide says, on a static network with no DHCP
# server. Nothing of the capture kernel is made by the test: kdump-tools builds its capture
# initrd (MODULES=dep, with our hook) and loads it at boot, and saves the dump after the panic.
#
#   Tests/EndToEnd/debian-node.sh DEB
#
# What stands in, and why:
#   - QEMU's -kernel/-initrd and -append replace GRUB: the command line is what Debian's GRUB
#     would pass, with the crashkernel= that kdump-tools' /etc/default/grub.d file adds.
#   - The operator at the node's console, and the crash: a unit of the test's
#     (kw-e2e-crash.service) prints `kdump-config status` and `kdump-watchctl check` on the
#     console once kdump-tools has loaded the capture kernel, then obeys lines on the second
#     serial port: "rotate" installs a new cluster key (a copy of the host's), checks, rebuilds
#     the image as the operator's guide says, checks again; "reinstall" reinstalls the .deb with
#     apt, whose postinst rebuilds the image; "panic" crashes the kernel (sysrq c); "break-dump"
#     first replaces the dump directory by a file, so that kdump-tools' savecore fails, then
#     crashes.
#   - The cluster peer is the host: its kdump-watchd (in a network namespace, on the bridge the
#     node's tap device is on) and a stand-alone pacemaker-fenced with fence_kdump_watch.
#
# Scenarios, on one node image, two boots (the host's daemon accepts the old and the new key):
#   1. panic: a fence before the panic is not confirmed; after it, the capture kernel that
#      kdump-tools loaded announces the dump, signed, from its initramfs (our hook brought the
#      network driver and the node's static address); the fence is confirmed, not before the
#      first message; kdump-tools saves the dump on /var, a file system of its own; `finished`
#      ends the episode.
#   2. the key rotation of the operator's guide: `check` is ready, not ready once the key is
#      new (key_current), ready after the rebuild; a reinstall of the package rebuilds the image
#      too. The host's daemon then accepts the new key only. break-dump: the capture kernel
#      announces with the new key, the dump cannot be saved, `failed` ends the episode.
# Needs root, debootstrap, qemu-system-x86, e2fsprogs, iproute2 and pacemaker
# (scripts/install-deps.sh e2e); the Debian archive (DEBIAN_MIRROR) the first time.
set -euo pipefail

DEB=${1:?usage: debian-node.sh KDUMP-WATCH-DEB}
DEB=$(readlink -f "$DEB")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/.build/debug}
CACHE=${CACHE:-$root/.build-e2e}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
AGENT_TIMEOUT=${AGENT_TIMEOUT:-20}
CONSOLES="kwnode1.console"
# shellcheck source=Tests/EndToEnd/host.sh
. "$here/host.sh"

[ "$(id -u)" = 0 ] || { echo "e2e: needs root (debootstrap, network namespaces, pacemaker-fenced)" >&2; exit 2; }
for tool in debootstrap qemu-system-x86_64 mkfs.ext4 debugfs ip "$FENCER" stonith_admin python3; do
    command -v "$tool" >/dev/null || { echo "e2e: missing $tool: run scripts/install-deps.sh e2e" >&2; exit 2; }
done
for program in "$BUILD/kdump-watchd" "$BUILD/kdump-watchctl" "$BUILD/fence_kdump_watch"; do
    [ -x "$program" ] || { echo "e2e: missing $program: build first (make e2e does)" >&2; exit 2; }
done
[ -r "$DEB" ] || { echo "e2e: no package $DEB: make deb" >&2; exit 2; }

work=$(mktemp -d /tmp/kw-e2e-node.XXXXXX)
started=$(date +%s.%N)
pids=()
namespace=kw-e2e-$$
remove_namespace() { ip netns del "$namespace" 2>/dev/null || true; }
cleanup_more=remove_namespace
require_fencer_free
trap cleanup EXIT

# The network: a bridge in a namespace of its own, the host's end 192.168.77.1, the node
# 192.168.77.11 on a tap device. No DHCP server anywhere.
host_address=192.168.77.1
node_address=192.168.77.11
node_mac=52:54:00:4b:57:0b
ip netns add "$namespace"
ip -n "$namespace" link set lo up
ip -n "$namespace" link add kwbr0 type bridge
ip -n "$namespace" addr add "$host_address/24" dev kwbr0
ip -n "$namespace" link set kwbr0 up
ip -n "$namespace" tuntap add kwtap0 mode tap
ip -n "$namespace" link set kwtap0 master kwbr0 up

# ---------------------------------------------------------------------------------------------
# The node's base system: Debian 12 with its cloud kernel, systemd, ifupdown and kdump-tools, and
# makedumpfile, which kdump-tools recommends (apt installs it with kdump-tools by default).
debian_base debian-node "linux-image-cloud-amd64,systemd-sysv,udev,kmod,initramfs-tools,kdump-tools,makedumpfile,ifupdown,iproute2,procps"
node=$work/rootfs
cp -a "$base" "$node"
rm -f "$node/.complete"

# The machine itself: its name, its disks (/var is a file system of its own) and its static
# address, as an installer would have written them.
echo kwnode1 >"$node/etc/hostname"
printf '%s\n' "127.0.0.1 localhost" "$node_address kwnode1" "$host_address kwhost" >"$node/etc/hosts"
printf '%s\n' "/dev/vda / ext4 errors=remount-ro 0 1" "/dev/vdb /var ext4 defaults 0 2" >"$node/etc/fstab"
cat >"$node/etc/network/interfaces" <<EOF
auto lo
iface lo inet loopback

auto ens3
iface ens3 inet static
    address $node_address/24
    gateway $host_address
EOF

# KdumpWatch, as the operator's guide says: the package with apt, the cluster key copied with
# mode 0600, the cluster's name and nodes (no corosync on this node: the host stands for the
# other members), and the peers to announce to.
install -m 0644 "$DEB" "$node/tmp/kdump-watch.deb"
install -m 0644 "$DEB" "$node/root/kdump-watch.deb"
make_cluster_key
"$BUILD/kdump-watchctl" keygen --output "$work/authkey.new" >/dev/null
install -m 0600 "$work/authkey.new" "$node/root/authkey.new"
mount -t proc proc "$node/proc"
chroot "$node" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/kdump-watch.deb \
    >"$work/apt.log" 2>&1 || { umount "$node/proc"; tail -n 20 "$work/apt.log" >&2; fail "apt install ./kdump-watch.deb failed"; }
umount "$node/proc"
rm -f "$node/tmp/kdump-watch.deb"
phase "node: apt installed $(basename "$DEB")"
install -m 0600 "$CACHE/authkey" "$node/etc/kdump-watch/authkey"
printf '%s\n' "auth_key = /etc/kdump-watch/authkey" "cluster_name = kw-e2e" \
    "nodes = kwnode1=$node_address kwhost=$host_address" >>"$node/etc/kdump-watch/kdump-watchd.conf"
echo "NODES=\"kwhost\"" >>"$node/etc/kdump-watch/kdump-watch-send.conf"

# The test's crash unit (see the header).
cat >"$node/usr/local/sbin/kw-e2e-crash" <<'EOF'
#!/bin/sh
say() { echo "kw-e2e: $*" >/dev/console; }
check() { kdump-watchctl check >/dev/console 2>&1; say "check ($1) exit $?"; }
# The node's own kdump-watchd runs the same checks (under its systemd sandbox): after a reload it
# says ready, or why not.
daemon_check() {
    systemctl reload kdump-watchd
    tries=60
    until kdump-watchctl health 2>/dev/null | grep -q '^capture: ready' || [ "$tries" -eq 0 ]; do
        tries=$((tries - 1))
        sleep 0.5
    done
    kdump-watchctl health 2>&1 | sed -n '/^capture:/,$s/^/kw-e2e: daemon /p' >/dev/console
}
image=/var/lib/kdump/initrd.img-$(uname -r)
say "$(kdump-config status | grep 'current state')"
check "after the boot"
daemon_check
# Open for good: a line that arrives while a command runs waits in the tty's buffer.
stty -F /dev/ttyS1 raw -echo
exec 3</dev/ttyS1
while say "waiting for a command" && read -r command <&3; do
    say "command: $command"
    case "$command" in
        rotate)
            install -m 0600 /root/authkey.new /etc/kdump-watch/authkey
            check "after the key rotation, before the rebuild"
            kdump-config unload >/dev/null && /etc/kernel/postinst.d/kdump-tools "$(uname -r)" >/dev/null 2>&1 \
                && kdump-config load >/dev/null
            check "after the rebuild"
            ;;
        reinstall)
            before=$(stat -c %Y "$image")
            apt-get install -y -q --reinstall --no-install-recommends /root/kdump-watch.deb >/dev/null 2>&1
            say "apt reinstall exit $?, image $before -> $(stat -c %Y "$image")"
            check "after the reinstall"
            daemon_check
            ;;
        break-dump) rm -rf /var/crash && touch /var/crash && sync && echo c >/proc/sysrq-trigger ;;
        panic) echo c >/proc/sysrq-trigger ;;
    esac
done
EOF
chmod 0755 "$node/usr/local/sbin/kw-e2e-crash"
cat >"$node/etc/systemd/system/kw-e2e-crash.service" <<'EOF'
[Unit]
Description=KdumpWatch end-to-end test: crash on the host's command
After=kdump-tools.service kdump-watchd.service
Wants=kdump-tools.service
ConditionPathExists=!/proc/vmcore

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/kw-e2e-crash
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
chroot "$node" systemctl enable kw-e2e-crash.service >/dev/null 2>&1

# The disks: ext4 images made from the tree, / without /var, and /var.
kernel=$(find "$node/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$node/boot/initrd.img-${kernel##*/vmlinuz-}
cp "$kernel" "$initrd" "$work/"
mkdir "$work/var-tree"
mv "$node/var/"* "$work/var-tree/"
truncate -s 3G "$work/root.img"
truncate -s 2G "$work/var.img"
mkfs.ext4 -q -F -d "$node" "$work/root.img"
mkfs.ext4 -q -F -d "$work/var-tree" "$work/var.img"
rm -rf "$node" "$work/var-tree"
phase "node: disks made (/ and /var)"
cmdline="root=/dev/vda ro console=ttyS0 $(sed -n 's/.*\(crashkernel=[^ "]*\).*/\1/p' "$base/etc/default/grub.d/kdump-tools.cfg")"

# ---------------------------------------------------------------------------------------------
# The host: kdump-watchd in the namespace, on the bridge; pacemaker-fenced with our agent.
cat >"$work/kdump-watchd.conf" <<EOF
listen = $host_address
control_socket = $work/control.sock
state_dir = $work/state
nodes = kwnode1=$node_address
allow = nodes
finished_after = 60s
auth_key = $work/authkey.new,$CACHE/authkey
auth = required
cluster_name = kw-e2e
EOF
daemon_prefix=(ip netns exec "$namespace")
start_daemon || fail "kdump-watchd: port 7410 taken in a namespace of its own"
phase "kdump-watchd ready on $host_address port 7410 (namespace $namespace)"
start_fencer -o pcmk_host_map="kwnode1:kwnode1"
phase "pacemaker-fenced -s ready, device kdump registered"

boot_node() { # boot number
    mkfifo "$work/command.in" "$work/command.out" 2>/dev/null || true
    ip netns exec "$namespace" qemu-system-x86_64 -nodefaults -display none -no-user-config -accel tcg -m 1024 -smp 1 \
        -no-reboot -kernel "$work/${kernel##*/}" -initrd "$work/${initrd##*/}" -append "$cmdline" \
        -drive "file=$work/root.img,if=virtio,format=raw" -drive "file=$work/var.img,if=virtio,format=raw" \
        -netdev tap,id=net0,ifname=kwtap0,script=no,downscript=no \
        -device "virtio-net-pci,netdev=net0,mac=$node_mac,addr=0x3,romfile=" \
        -serial "file:$work/kwnode1.console.$1" -serial "pipe:$work/command" >"$work/qemu.log" 2>&1 &
    qemu=$!
    pids+=("$qemu")
    cat "$work/command.out" >/dev/null &
    pids+=($!)
    console=$work/kwnode1.console.$1
    ln -sf "kwnode1.console.$1" "$work/kwnode1.console"
}
await_console() { await_text "$console" "$1" "$2" "$qemu" kwnode1; } # text seconds
after_panic() { echo "$(since "$panic_at") after the panic"; }
await_poweroff() { # seconds
    local deadline=$((SECONDS + $1))
    while kill -0 "$qemu" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "kwnode1: the capture kernel did not reboot within $1 s"
        sleep 0.5
    done
}

# ---------------------------------------------------------------------------------------------
# Boot 1: panic.
boot_node 1
await_console "kw-e2e: waiting for a command" 900
phase "kwnode1 booted; kdump-tools: $(grep -o 'current state.*' "$console" | head -n 1 | tr -d '\r')"
grep -q "current state *: ready to kdump" "$console" || fail "kwnode1: kdump-tools did not load the capture kernel"
grep -q "kw-e2e: check (after the boot) exit 0" "$console" || fail "kwnode1: kdump-watchctl check says the node is not ready"
grep -a "kw-e2e: daemon capture:" "$console" | tr -d '\r' | sed 's/^/    /'
grep -q "kw-e2e: daemon capture: ready" "$console" || fail "kwnode1: its kdump-watchd does not say the capture is ready"
grep -a -o -E '(ok  |FAIL) [a-z_]+: .*|(NOT READY|ready): .*|fix: .*' "$console" | tr -d '\r' | sed 's/^/    kdump-watchctl check: /'
read -r status seconds < <(fence kwnode1)
[ "$status" != 0 ] || fail "kwnode1 was confirmed fenced before its panic"
phase "fence kwnode1 before the panic: not confirmed (stonith_admin exit $status after $seconds s)"
panic_at=$(date +%s.%N)
echo panic >"$work/command.in"
phase "kwnode1: panic (echo c > /proc/sysrq-trigger)"
fence_until_confirmed kwnode1
check_episode kwnode1 "$panic_at"
await_poweroff 900
phase "kwnode1: the capture kernel rebooted (QEMU exited), $(after_panic)"
saved=$(debugfs -R "ls -l /crash" "$work/var.img" 2>/dev/null | awk '$NF ~ /^2[0-9]+$/ { print $NF }' | head -n 1)
[ -n "$saved" ] || fail "kwnode1: no dump directory in /var/crash"
dump=$(debugfs -R "ls -l /crash/$saved" "$work/var.img" 2>/dev/null | awk '$NF ~ /^dump\./ && $6 > 0 { print $NF, $6 }')
[ -n "$dump" ] || fail "kwnode1: /var/crash/$saved holds no complete dump: $(debugfs -R "ls -l /crash/$saved" "$work/var.img" 2>/dev/null | tr '\n' ' ')"
phase "kwnode1: kdump-tools saved /var/crash/$saved/${dump% *} (${dump#* } bytes) on the /var file system"
[ "$(host_field kwnode1 phase)" = finished ] || fail "kwnode1: the phase is $(host_field kwnode1 phase), not finished"
[ "$(host_field kwnode1 state)" = finished ] || fail "kwnode1: the phase finished did not end the episode"
phase "status: kwnode1 finished by the phase finished, $(host_field kwnode1 messages) messages, $(after_panic)"

# ---------------------------------------------------------------------------------------------
# Boot 2: a key rotation and a reinstall, then the dump target is broken: `failed`.
ctl forget kwnode1 >/dev/null
boot_node 2
await_console "kw-e2e: waiting for a command" 600
phase "kwnode1 booted again"
grep -q "kw-e2e: check (after the boot) exit 0" "$console" || fail "kwnode1: not ready after the second boot"
echo rotate >"$work/command.in"
await_console "kw-e2e: check (after the rebuild) exit" 600
print_check() { # label
    sed -n "/kw-e2e: command: $1/,/kw-e2e: waiting for a command/p" "$console" | tr -d '\r' \
        | grep -a -o -E '(ok  |FAIL) [a-z_]+: .*|(NOT READY|ready): .*|kw-e2e: check .*' | sed 's/^/    /'
}
print_check rotate
grep -q "kw-e2e: check (after the key rotation, before the rebuild) exit 1" "$console" \
    || fail "kwnode1: check was ready with a new key and the old image"
sed -n '/command: rotate/,/before the rebuild) exit/p' "$console" | grep -q "FAIL key_current" \
    || fail "kwnode1: check did not name key_current after the rotation"
grep -q "kw-e2e: check (after the rebuild) exit 0" "$console" || fail "kwnode1: not ready after the rebuild"
phase "kwnode1: key rotated: check not ready (key_current) until the rebuild, then ready"
echo reinstall >"$work/command.in"
await_console "kw-e2e: check (after the reinstall) exit" 600
print_check reinstall
read -r before after < <(sed -n 's/.*apt reinstall exit 0, image \([0-9]*\) -> \([0-9]*\).*/\1 \2/p' "$console" | tr -d '\r') || true
if [ -z "${after:-}" ] || [ "$after" -le "$before" ]; then
    fail "kwnode1: apt install --reinstall did not rebuild the capture image"
fi
grep -q "kw-e2e: check (after the reinstall) exit 0" "$console" || fail "kwnode1: not ready after the reinstall"
phase "kwnode1: apt install --reinstall rebuilt the capture image (postinst), check ready"
# The guide's last step: the daemons accept the new key alone.
sed -i "s|^auth_key = .*|auth_key = $work/authkey.new|" "$work/kdump-watchd.conf"
kill -HUP "$daemon"
for _ in $(seq 100); do grep -q "configuration reloaded" "$work/daemon.log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$work/daemon.log" || fail "kdump-watchd did not reload"
phase "kdump-watchd: the new key alone"
panic_at=$(date +%s.%N)
echo break-dump >"$work/command.in"
phase "kwnode1: /var/crash made a file, then panic"
fence_until_confirmed kwnode1
check_episode kwnode1 "$panic_at"
await_poweroff 900
phase "kwnode1: the capture kernel rebooted (QEMU exited), $(after_panic)"
[ "$(host_field kwnode1 phase)" = failed ] || fail "kwnode1: the phase is $(host_field kwnode1 phase), not failed"
phase "status: kwnode1 $(host_field kwnode1 state) by the phase failed"
ctl status
echo "e2e: PASS"
