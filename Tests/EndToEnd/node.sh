# shellcheck shell=bash disable=SC2154 # here, DEB, work and base are the caller's
# A real Debian node for the end-to-end tests (sourced by debian-node.sh and kdump-utils-node.sh):
# the static network with no DHCP server, the node's system as an installer and the operator's
# guide leave it, the test's crash unit, its disks, the host's daemon and fencer, and the boots.
# What differs between the two kdump services is the caller's.
#
# The caller sets here (its directory) and DEB (the package) before it sources this file, work
# (a new scratch directory) before start_node_test, and base (debian_base) before
# make_node_system.

root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/.build/debug}
CACHE=${CACHE:-$root/.build-e2e}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
AGENT_TIMEOUT=${AGENT_TIMEOUT:-20}
CONSOLES="kwnode1.console"
DEB=$(readlink -f "$DEB")
# shellcheck source=Tests/EndToEnd/host.sh
. "$here/host.sh"

check_node_prerequisites() {
    [ "$(id -u)" = 0 ] || { echo "e2e: needs root (debootstrap, network namespaces, pacemaker-fenced)" >&2; exit 2; }
    for tool in debootstrap qemu-system-x86_64 mkfs.ext4 debugfs ip "$FENCER" stonith_admin python3; do
        command -v "$tool" >/dev/null || { echo "e2e: missing $tool: run scripts/install-deps.sh e2e" >&2; exit 2; }
    done
    for program in "$BUILD/kdump-watchd" "$BUILD/kdump-watchctl" "$BUILD/fence_kdump_watch"; do
        [ -x "$program" ] || { echo "e2e: missing $program: build first (make e2e does)" >&2; exit 2; }
    done
    [ -r "$DEB" ] || { echo "e2e: no package $DEB: make deb" >&2; exit 2; }
}
# start_node_test: the clock, the clean-up on exit, the node's network.
start_node_test() {
    started=$(date +%s.%N)
    pids=()
    namespace=kw-e2e-$$
    cleanup_more=remove_namespace
    require_fencer_free
    trap cleanup EXIT
    make_node_network
}

# The network: a bridge in a namespace of its own, the host's end 192.168.77.1, the node
# 192.168.77.11 on a tap device. No DHCP server anywhere.
host_address=192.168.77.1
node_address=192.168.77.11
node_mac=52:54:00:4b:57:0b
make_node_network() {
    ip netns add "$namespace"
    ip -n "$namespace" link set lo up
    ip -n "$namespace" link add kwbr0 type bridge
    ip -n "$namespace" addr add "$host_address/24" dev kwbr0
    ip -n "$namespace" link set kwbr0 up
    ip -n "$namespace" tuntap add kwtap0 mode tap
    ip -n "$namespace" link set kwtap0 master kwbr0 up
}
remove_namespace() { ip netns del "$namespace" 2>/dev/null || true; }

# make_node_system FSTAB-LINE...: node, a copy of base that is the machine itself: its name, its
# disks and its static address, as an installer would have written them; KdumpWatch installed
# from the package with apt and configured as the operator's guide says: the cluster key copied
# with mode 0600, the cluster's name and nodes (no corosync on this node: the host stands for the
# other members), and the peers to announce to. The next key waits in /root/authkey.new.
make_node_system() {
    node=$work/rootfs
    cp -a "$base" "$node"
    rm -f "$node/.complete"
    echo kwnode1 >"$node/etc/hostname"
    printf '%s\n' "127.0.0.1 localhost" "$node_address kwnode1" "$host_address kwhost" >"$node/etc/hosts"
    printf '%s\n' "$@" >"$node/etc/fstab"
    cat >"$node/etc/network/interfaces" <<EOF
auto lo
iface lo inet loopback

auto ens3
iface ens3 inet static
    address $node_address/24
    gateway $host_address
EOF
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
}

# install_crash_unit KDUMP-UNIT COMMANDS-FILE: the operator at the node's console, and the crash.
# A unit of the test's (kw-e2e-crash.service), after the kdump service KDUMP-UNIT, prints the
# kdump service's status line (kw_e2e_kdump_state, from COMMANDS-FILE) and `kdump-watchctl
# check` on the console, asks the node's own daemon, then obeys lines on the second serial port:
# "panic" and "rotate" (rotate_and_expect_rebuild) itself, the others through kw_e2e_command
# (from COMMANDS-FILE, which also sets image, the capture image's path); it has say, check,
# daemon_check and await_rebuild.
install_crash_unit() {
    install -D -m 0644 "$2" "$node/usr/local/lib/kw-e2e-commands"
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
# await_rebuild BEFORE: waits (10 minutes at most) for a run of kdump-watch-rebuild.service
# other than the one whose invocation id was BEFORE to end, the run kdump-watch-rebuild.path
# starts after a change in /etc/kdump-watch; then says how it ended and what it logged.
await_rebuild() {
    tries=1200
    until [ "$(systemctl show -P InvocationID kdump-watch-rebuild.service)" != "$1" ] \
        && systemctl show -P ActiveState kdump-watch-rebuild.service | grep -qx 'inactive\|failed' \
        || [ "$tries" -eq 0 ]; do
        tries=$((tries - 1))
        sleep 0.5
    done
    say "rebuild by the path unit: $(systemctl show -P Result kdump-watch-rebuild.service); $(journalctl -q -o cat \
        _SYSTEMD_INVOCATION_ID="$(systemctl show -P InvocationID kdump-watch-rebuild.service)" | grep '^kdump-watch:' | tr '\n' ' ')"
}
. /usr/local/lib/kw-e2e-commands
say "$(kw_e2e_kdump_state)"
check "after the boot"
daemon_check
# Open for good: a line that arrives while a command runs waits in the tty's buffer.
stty -F /dev/ttyS1 raw -echo
exec 3</dev/ttyS1
while say "waiting for a command" && read -r command <&3; do
    say "command: $command"
    case "$command" in
        panic) echo c >/proc/sysrq-trigger ;;
        # A new cluster key, installed as an operator would; the package's path unit rebuilds.
        rotate)
            invocation=$(systemctl show -P InvocationID kdump-watch-rebuild.service)
            before=$(stat -c %Y "$image")
            install -m 0600 /root/authkey.new /etc/kdump-watch/authkey
            await_rebuild "$invocation"
            say "after the key rotation: image $before -> $(stat -c %Y "$image")"
            check "after the rebuild"
            ;;
        *) kw_e2e_command "$command" ;;
    esac
done
EOF
    chmod 0755 "$node/usr/local/sbin/kw-e2e-crash"
    cat >"$node/etc/systemd/system/kw-e2e-crash.service" <<EOF
[Unit]
Description=KdumpWatch end-to-end test: crash on the host's command
After=$1 kdump-watchd.service
Wants=$1
ConditionPathExists=!/proc/vmcore

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/kw-e2e-crash
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
    chroot "$node" systemctl enable kw-e2e-crash.service >/dev/null 2>&1
}

# make_node_disks root-only|separate-var: ext4 images made from the tree: root.img, and var.img for /var
# apart; kernel and initrd copied for QEMU. cmdline starts with the root.
make_node_disks() {
    kernel=$(find "$node/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
    initrd=$node/boot/initrd.img-${kernel##*/vmlinuz-}
    cp "$kernel" "$initrd" "$work/"
    truncate -s 3G "$work/root.img"
    disks=(-drive "file=$work/root.img,if=virtio,format=raw")
    if [ "$1" = separate-var ]; then
        mkdir "$work/var-tree"
        mv "$node/var/"* "$work/var-tree/"
        truncate -s 2G "$work/var.img"
        mkfs.ext4 -q -F -d "$work/var-tree" "$work/var.img"
        disks+=(-drive "file=$work/var.img,if=virtio,format=raw")
    fi
    mkfs.ext4 -q -F -d "$node" "$work/root.img"
    rm -rf "$node" "$work/var-tree"
    phase "node: disks made (/$([ "$1" = separate-var ] && echo " and /var"))"
    cmdline="root=/dev/vda ro console=ttyS0"
}

# start_host: kdump-watchd in the namespace, on the bridge, with kdump-watchd.conf's lines
# after the common ones; pacemaker-fenced with our agent.
start_host() { # extra-config-line...
    {
        printf '%s\n' "listen = $host_address" "control_socket = $work/control.sock" "state_dir = $work/state" \
            "nodes = kwnode1=$node_address" "allow = nodes" "auth = required" "cluster_name = kw-e2e"
        printf '%s\n' "$@"
    } >"$work/kdump-watchd.conf"
    # shellcheck disable=SC2034 # start_daemon (host.sh) reads it
    daemon_prefix=(ip netns exec "$namespace")
    start_daemon || fail "kdump-watchd: port 7410 taken in a namespace of its own"
    phase "kdump-watchd ready on $host_address port 7410 (namespace $namespace)"
    start_fencer -o pcmk_host_map="kwnode1:kwnode1"
    phase "pacemaker-fenced -s ready, device kdump registered"
}

boot_node() { # boot-number memory
    mkfifo "$work/command.in" "$work/command.out" 2>/dev/null || true
    ip netns exec "$namespace" qemu-system-x86_64 -nodefaults -display none -no-user-config -accel tcg -m "$2" -smp 1 \
        -no-reboot -kernel "$work/${kernel##*/}" -initrd "$work/${initrd##*/}" -append "$cmdline" \
        "${disks[@]}" \
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
command_node() { echo "$1" >"$work/command.in"; }
after_panic() { echo "$(since "$panic_at") after the panic"; }
await_poweroff() { # seconds
    local deadline=$((SECONDS + $1))
    while kill -0 "$qemu" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "kwnode1: the capture kernel did not reboot within $1 s"
        sleep 0.5
    done
}
# await_ready SECONDS: the first boot's crash unit is waiting, the node's checks are ready.
await_ready() {
    await_console "kw-e2e: waiting for a command" "$1"
    grep -q "kw-e2e: check (after the boot) exit 0" "$console" || fail "kwnode1: kdump-watchctl check says the node is not ready"
    grep -a "kw-e2e: daemon capture:" "$console" | tr -d '\r' | sed 's/^/    /'
    grep -q "kw-e2e: daemon capture: ready" "$console" || fail "kwnode1: its kdump-watchd does not say the capture is ready"
    grep -a -o -E '(ok  |FAIL) [a-z_]+: .*|(NOT READY|ready): .*|fix: .*' "$console" | tr -d '\r' | sed 's/^/    kdump-watchctl check: /'
}
# print_check COMMAND: the check lines the crash unit printed while it ran COMMAND.
print_check() {
    sed -n "/kw-e2e: command: $1/,/kw-e2e: waiting for a command/p" "$console" | tr -d '\r' \
        | grep -a -o -E '(ok  |FAIL) [a-z_]+: .*|(NOT READY|ready): .*|kw-e2e: check .*' | sed 's/^/    /'
}
# panic_and_confirm COMMAND: the node crashes on COMMAND; the fence is confirmed, not before the
# first signed message; the capture kernel reboots.
panic_and_confirm() {
    panic_at=$(date +%s.%N)
    command_node "$1"
    phase "kwnode1: $1 (echo c > /proc/sysrq-trigger)"
    fence_until_confirmed kwnode1
    check_episode kwnode1 "$panic_at"
    await_poweroff 900
    phase "kwnode1: the capture kernel rebooted (QEMU exited), $(after_panic)"
}
# refuse_before_panic: a fence asked before any panic is not confirmed.
refuse_before_panic() {
    local status seconds
    read -r status seconds < <(fence kwnode1)
    [ "$status" != 0 ] || fail "kwnode1 was confirmed fenced before its panic"
    phase "fence kwnode1 before the panic: not confirmed (stonith_admin exit $status after $seconds s)"
}

# rotate_and_expect_rebuild REBUILT-LINE: the node's "rotate" command: a new cluster key on the
# node, and the package's kdump-watch-rebuild.path alone rebuilds the capture image (its run logs
# REBUILT-LINE, the kdump service's rebuild) and reloads the capture kernel; check is ready. The
# host's daemon then accepts the new key alone (the guide's last step of a key rotation), so the
# next announcement confirms only if it carries the new key.
rotate_and_expect_rebuild() {
    local rebuild before after
    command_node rotate
    await_console "kw-e2e: check (after the rebuild) exit" 900
    print_check rotate
    rebuild=$(grep -a -o 'kw-e2e: rebuild by the path unit: .*' "$console" | tail -n 1 | tr -d '\r')
    case "$rebuild" in
        *": success; $1"*"kdump-watch: capture kernel reloaded"*) ;;
        *) fail "kwnode1: kdump-watch-rebuild.path did not rebuild the image after the key changed: ${rebuild:-no run}" ;;
    esac
    read -r before after < <(sed -n 's/.*after the key rotation: image \([0-9]*\) -> \([0-9]*\).*/\1 \2/p' "$console" | tr -d '\r') || true
    if [ -z "${after:-}" ] || [ "$after" -le "$before" ]; then fail "kwnode1: the capture image is older than the new key"; fi
    grep -q "kw-e2e: check (after the rebuild) exit 0" "$console" || fail "kwnode1: not ready after the rebuild"
    phase "kwnode1: key rotated; ${rebuild#kw-e2e: }; check ready"
    sed -i "s|^auth_key = .*|auth_key = $work/authkey.new|" "$work/kdump-watchd.conf"
    kill -HUP "$daemon"
    for _ in $(seq 100); do grep -q "configuration reloaded" "$work/daemon.log" && break; sleep 0.1; done
    grep -q "configuration reloaded" "$work/daemon.log" || fail "kdump-watchd did not reload"
    phase "kdump-watchd: the new key alone"
}
