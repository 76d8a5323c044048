#!/usr/bin/env bash
# End-to-end test of the capture image kdump-utils (Fedora, RHEL) builds (`make e2e`), on a real
# Debian node: Debian 12 made by debootstrap, with its own kernel, systemd, ifupdown, dracut and
# kexec-tools, KdumpWatch installed from the .deb by apt and configured as the operator's guide
# says, a static address on a network with no DHCP server. kdump-utils is not packaged for
# Debian: its parts the node runs are the test's stand-ins (Tests/EndToEnd/kdump-utils), which
# follow its published source: kdump.service and kdumpctl (rebuild when a watched file changed,
# kexec -p with kdumpctl's command line), mkdumprd (dracut --hostonly --hostonly-mode strict
# --hostonly-nics '', built on the node itself at boot, so host-only mode sees the node's own
# devices), and kdumpbase (kdump-capture.service after the pre-pivot hooks, post.d with the
# dump's status, the error handler, fence_kdump_nodes with upstream's sender). The real parts:
# Debian's dracut 059 and its network module, KdumpWatch's dracut module as the package installs
# it, upstream's fence_kdump_send (Debian's fence-agents) as /usr/libexec/fence_kdump_send.
#
#   Tests/EndToEnd/kdump-utils-node.sh DEB
#
# As in debian-node.sh, QEMU's -kernel/-initrd stand for the boot loader, the test's crash unit
# for the operator at the console, the host (in a network namespace) for the cluster's peer.
#
# Scenarios, two boots of one node:
#   1. KdumpWatch's own node list (NODES), no fence_kdump setting, no ip= anywhere: our module
#      brings up the interface that reaches the node list; a panic is announced, signed, the fence
#      confirmed not before the first message; kdumpbase's kdump.sh saves the dump; post.d
#      reports `finished`.
#   2. The administrator keeps kdump-utils' own setting instead (fence_kdump_nodes and
#      fence_kdump_args in kdump.conf) with upstream's sender installed: kdumpctl rebuilds because
#      kdump.conf changed. A new cluster key: the package's kdump-watch-rebuild.path runs
#      kdumpctl rebuild and reload (kdumpctl does not watch our files), and the host's daemon
#      then takes the new key alone. The dump target is then broken on purpose and the node
#      panics: exactly one sender runs (ours, signed with the new key: the host's daemon counts
#      no unsigned message), `failed` (from post.d) ends the episode, and the failed unit leads
#      to kdump-utils' error handler.
# Needs root, debootstrap, qemu-system-x86, e2fsprogs, iproute2 and pacemaker
# (scripts/install-deps.sh e2e); the Debian archive (DEBIAN_MIRROR) the first time.
set -euo pipefail

DEB=${1:?usage: kdump-utils-node.sh KDUMP-WATCH-DEB}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/EndToEnd/node.sh
. "$here/node.sh"
check_node_prerequisites
work=$(mktemp -d /tmp/kw-e2e-kdump-utils.XXXXXX)
start_node_test
eval "$(cd "$root" && scripts/reference-agents.sh .build-reference)"

# ---------------------------------------------------------------------------------------------
# The node: Debian 12 with its cloud kernel, systemd, ifupdown, dracut (beside initramfs-tools,
# which builds the node's own initrd) and kexec-tools; NetworkManager, as on RHEL: dracut's
# network module then configures the capture kernel's interfaces with it (nm-initrd-generator),
# as in a RHEL capture image (ifupdown keeps the node's own interface: NetworkManager leaves
# what /etc/network/interfaces configures alone). kdump-utils' parts as its packages would
# install them, with its default settings for x86_64.
debian_base kdump-utils-node "linux-image-cloud-amd64,systemd-sysv,udev,kmod,initramfs-tools,dracut-core,dracut-network,network-manager,dbus,libpam-systemd,kexec-tools,makedumpfile,ifupdown,iproute2,procps"
make_node_system "/dev/vda / ext4 errors=remount-ro 0 1"
standins=$here/kdump-utils
install -m 0755 "$standins/kdumpctl" "$node/usr/bin/kdumpctl"
install -m 0755 "$standins/mkdumprd" "$node/usr/sbin/mkdumprd"
install -m 0644 "$standins/kdump.service" "$node/etc/systemd/system/kdump.service"
cp -r "$standins/99kdumpbase" "$node/usr/lib/dracut/modules.d/"
chroot "$node" systemctl enable kdump.service >/dev/null 2>&1
printf '%s\n' "path /var/crash" "core_collector makedumpfile -l --message-level 7 -d 31" >"$node/etc/kdump.conf"
mkdir -p "$node/etc/sysconfig"
printf '%s\n' 'KDUMP_COMMANDLINE_REMOVE="hugepages hugepagesz slub_debug quiet log_buf_len swiotlb cma hugetlb_cma ignition.firstboot"' \
    'KDUMP_COMMANDLINE_APPEND="irqpoll nr_cpus=1 reset_devices cgroup_disable=memory mce=0 numa=off udev.children-max=2 panic=10 acpi_no_memhotplug transparent_hugepage=never nokaslr hest_disable novmcoredd cma=0 hugetlb_cma=0"' \
    >"$node/etc/sysconfig/kdump"
install -m 0755 "$FENCE_KDUMP_SEND" "$node/root/fence_kdump_send"
cat >"$work/commands" <<'EOF'
image=/boot/initramfs-$(uname -r)kdump.img
kw_e2e_kdump_state() { kdumpctl status; }
kw_e2e_command() {
    case "$1" in
        fence-kdump-conf)
            # fence-agents-kdump's sender, and kdump-utils' own node list in place of ours:
            # kdumpctl rebuilds for kdump.conf, the package's path unit for ours (after it, so
            # that the two rebuilds do not queue behind kdumpctl's lock in either order).
            install -m 0755 /root/fence_kdump_send /usr/libexec/fence_kdump_send
            printf '%s\n' "fence_kdump_nodes kwhost" "fence_kdump_args -p 7410 -i 1" >>/etc/kdump.conf
            before=$(stat -c %Y "$image")
            kdumpctl restart >/dev/console 2>&1
            say "kdumpctl restart exit $?, image $before -> $(stat -c %Y "$image")"
            invocation=$(systemctl show -P InvocationID kdump-watch-rebuild.service)
            sed -i '/^NODES=/d' /etc/kdump-watch/kdump-watch-send.conf
            await_rebuild "$invocation"
            check "after fence_kdump_nodes"
            ;;
        break-dump) rm -rf /var/crash && touch /var/crash && sync && echo c >/proc/sysrq-trigger ;;
    esac
}
EOF
install_crash_unit kdump.service "$work/commands"
make_node_disks root-only
# kdump-utils' default reservation for x86_64 (kdumpctl reset-crashkernel).
cmdline="$cmdline crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"
start_host "finished_after = 60s" "auth_key = $work/authkey.new,$CACHE/authkey"

# ---------------------------------------------------------------------------------------------
# Boot 1: our node list; panic.
boot_node 1 1280
await_ready 1200
phase "kwnode1 booted; kdumpctl: $(grep -a -o 'Kdump is .*' "$console" | head -n 1 | tr -d '\r')"
grep -q "Kdump is operational" "$console" || fail "kwnode1: kdumpctl did not load the capture kernel"
refuse_before_panic
panic_and_confirm panic
grep -a -q "kdump-watch: announcing kdump to" "$console" || fail "kwnode1: our pre-pivot hook did not start the sender"
grep -a -q "kdump: saving vmcore complete" "$console" || fail "kwnode1: kdump.sh did not save the dump"
saved=$(debugfs -R "ls -l /var/crash" "$work/root.img" 2>/dev/null | awk '$NF ~ /^127\.0\.0\.1-/ { print $NF }' | head -n 1)
[ -n "$saved" ] || fail "kwnode1: no dump directory in /var/crash"
size=$(debugfs -R "stat /var/crash/$saved/vmcore" "$work/root.img" 2>/dev/null | sed -n 's/.*  Size: \([0-9]*\).*/\1/p' | head -n 1)
[ "${size:-0}" -gt 0 ] || fail "kwnode1: /var/crash/$saved holds no vmcore"
phase "kwnode1: kdump.sh saved /var/crash/$saved/vmcore ($size bytes)"
[ "$(host_field kwnode1 phase)" = finished ] || fail "kwnode1: the phase is $(host_field kwnode1 phase), not finished"
phase "status: kwnode1 $(host_field kwnode1 state) by the phase finished, $(host_field kwnode1 messages) messages, $(after_panic)"

# The image kdump-utils' build made on the node, read back from its disk: what we add to it, the
# key's mode, and no interface configured twice (ours is the only ip=).
release=${kernel##*/vmlinuz-}
debugfs -R "dump /boot/initramfs-${release}kdump.img $work/capture.img" "$work/root.img" 2>/dev/null
lsinitrd "$work/capture.img" >"$work/capture.list" || fail "lsinitrd cannot read the node's capture image"
ours=$(awk '/kdump-watch/ && $1 ~ /^-/ { sum += $5 } END { print sum }' "$work/capture.list")
grep -q -- '-rw-------.* etc/kdump-watch/authkey$' "$work/capture.list" || fail "no 0600 key in the capture image"
lsinitrd -f etc/cmdline.d/95kdump-watch.conf "$work/capture.img" | tr '\n' ' ' >"$work/capture.cmdline"
grep -q "ifname=kdwatch0:$node_mac ip=$node_address::$host_address:255.255.255.0::kdwatch0:none" "$work/capture.cmdline" \
    || fail "the image's 95kdump-watch.conf does not bring up the node's interface: $(cat "$work/capture.cmdline")"
phase "capture image (dracut, host-only strict): $(stat -c %s "$work/capture.img") bytes compressed, our files $ours bytes; $(cat "$work/capture.cmdline")"

# ---------------------------------------------------------------------------------------------
# Boot 2: kdump-utils' own fence_kdump setting; the dump target broken; panic.
ctl forget kwnode1 >/dev/null
boot_node 2 1280
await_console "kw-e2e: waiting for a command" 900
phase "kwnode1 booted again"
command_node fence-kdump-conf
await_console "kw-e2e: check (after fence_kdump_nodes) exit" 900
print_check fence-kdump-conf
read -r before after < <(sed -n 's/.*kdumpctl restart exit 0, image \([0-9]*\) -> \([0-9]*\).*/\1 \2/p' "$console" | tr -d '\r') || true
if [ -z "${after:-}" ] || [ "$after" -le "$before" ]; then
    fail "kwnode1: kdumpctl restart did not rebuild the image after kdump.conf changed"
fi
grep -q "kw-e2e: check (after fence_kdump_nodes) exit 0" "$console" || fail "kwnode1: not ready with fence_kdump_nodes"
phase "kwnode1: fence_kdump_nodes in kdump.conf, upstream's sender installed: kdumpctl rebuilt the image, check ready"
rotate_and_expect_rebuild "kdump-watch: kdumpctl rebuild: done"
unsigned_before=$(host_invalid unauthenticated)
panic_and_confirm break-dump
grep -a -q "kdump: saving vmcore failed" "$console" || fail "kwnode1: kdump.sh did not fail to save the dump"
grep -a -q "kdump: error handler" "$console" || fail "kwnode1: the failed dump did not lead to kdump-utils' error handler"
grep -a -q "starting /usr/libexec/fence_kdump_send" "$console" && fail "kwnode1: kdump.sh started upstream's sender beside ours"
unsigned=$(($(host_invalid unauthenticated) - unsigned_before))
[ "$unsigned" = 0 ] || fail "kwnode1: the host's daemon counted $unsigned unsigned messages: a second sender ran"
[ "$(host_field kwnode1 phase)" = failed ] || fail "kwnode1: the phase is $(host_field kwnode1 phase), not failed"
phase "status: kwnode1 $(host_field kwnode1 state) by the phase failed; one sender (no unsigned message)"
ctl status
echo "e2e: PASS"
