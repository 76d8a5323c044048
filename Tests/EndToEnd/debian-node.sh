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
#     serial port: "rotate" installs a new cluster key (a copy of the host's), waits for the
#     package's kdump-watch-rebuild.path to rebuild the image, checks; "reinstall" reinstalls the .deb with
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
#   2. a key rotation: the package's path unit rebuilds the image and reloads the capture
#      kernel by itself, and `check` is ready; a reinstall of the package rebuilds the image
#      too. The host's daemon then accepts the new key only. break-dump: the capture kernel
#      announces with the new key, the dump cannot be saved, `failed` ends the episode.
# Needs root, debootstrap, qemu-system-x86, e2fsprogs, iproute2 and pacemaker
# (scripts/install-deps.sh e2e); the Debian archive (DEBIAN_MIRROR) the first time.
set -euo pipefail

DEB=${1:?usage: debian-node.sh KDUMP-WATCH-DEB}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/EndToEnd/node.sh
. "$here/node.sh"
check_node_prerequisites
work=$(mktemp -d /tmp/kw-e2e-node.XXXXXX)
start_node_test

# ---------------------------------------------------------------------------------------------
# The node: Debian 12 with its cloud kernel, systemd, ifupdown and kdump-tools, and makedumpfile,
# which kdump-tools recommends (apt installs it with kdump-tools by default); /var is a file
# system of its own.
debian_base debian-node "linux-image-cloud-amd64,systemd-sysv,udev,kmod,initramfs-tools,kdump-tools,makedumpfile,ifupdown,iproute2,procps"
make_node_system "/dev/vda / ext4 errors=remount-ro 0 1" "/dev/vdb /var ext4 defaults 0 2"
cat >"$work/commands" <<'EOF'
image=/var/lib/kdump/initrd.img-$(uname -r)
# What the package adds to kdump-tools' capture image (Documentation/performance.md).
say "capture image (kdump-tools): $(stat -c %s "$image") bytes compressed, our files \
$(lsinitramfs -l "$image" | awk '/kdump-watch/ && $1 ~ /^-/ { sum += $5 } END { print sum }') bytes"
kw_e2e_kdump_state() { kdump-config status | grep 'current state'; }
kw_e2e_command() {
    case "$1" in
        reinstall)
            before=$(stat -c %Y "$image")
            apt-get install -y -q --reinstall --no-install-recommends /root/kdump-watch.deb >/dev/null 2>&1
            say "apt reinstall exit $?, image $before -> $(stat -c %Y "$image")"
            check "after the reinstall"
            daemon_check
            ;;
        break-dump) rm -rf /var/crash && touch /var/crash && sync && echo c >/proc/sysrq-trigger ;;
    esac
}
EOF
install_crash_unit kdump-tools.service "$work/commands"
make_node_disks separate-var
cmdline="$cmdline $(sed -n 's/.*\(crashkernel=[^ "]*\).*/\1/p' "$base/etc/default/grub.d/kdump-tools.cfg")"
start_host "finished_after = 60s" "auth_key = $work/authkey.new,$CACHE/authkey"

# ---------------------------------------------------------------------------------------------
# Boot 1: panic.
boot_node 1 1024
await_ready 900
phase "kwnode1 booted; kdump-tools: $(grep -o 'current state.*' "$console" | head -n 1 | tr -d '\r')"
phase "kwnode1: $(grep -o 'capture image (kdump-tools).*' "$console" | head -n 1 | tr -d '\r')"
grep -q "current state *: ready to kdump" "$console" || fail "kwnode1: kdump-tools did not load the capture kernel"
refuse_before_panic
panic_and_confirm panic
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
boot_node 2 1024
await_console "kw-e2e: waiting for a command" 600
phase "kwnode1 booted again"
grep -q "kw-e2e: check (after the boot) exit 0" "$console" || fail "kwnode1: not ready after the second boot"
rotate_and_expect_rebuild "kdump-watch: rebuilt /var/lib/kdump/initrd.img-"
command_node reinstall
await_console "kw-e2e: check (after the reinstall) exit" 600
print_check reinstall
read -r before after < <(sed -n 's/.*apt reinstall exit 0, image \([0-9]*\) -> \([0-9]*\).*/\1 \2/p' "$console" | tr -d '\r') || true
if [ -z "${after:-}" ] || [ "$after" -le "$before" ]; then
    fail "kwnode1: apt install --reinstall did not rebuild the capture image"
fi
grep -q "kw-e2e: check (after the reinstall) exit 0" "$console" || fail "kwnode1: not ready after the reinstall"
phase "kwnode1: apt install --reinstall rebuilt the capture image (postinst), check ready"
panic_and_confirm break-dump
[ "$(host_field kwnode1 phase)" = failed ] || fail "kwnode1: the phase is $(host_field kwnode1 phase), not failed"
phase "status: kwnode1 $(host_field kwnode1 state) by the phase failed"
ctl status
echo "e2e: PASS"
