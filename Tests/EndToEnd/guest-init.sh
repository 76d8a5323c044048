#!/bin/busybox sh
# shellcheck shell=dash
# /init of the end-to-end test's guest (see run.sh). One initramfs serves both kernels:
#  - the cluster node's kernel: brings up the network, loads the capture kernel with
#    `kexec -p`, says "ready", then obeys one command from the serial console:
#    "panic" crashes the kernel (sysrq c), "hang" spins forever with no kdump;
#  - the kdump capture kernel (/proc/vmcore exists): brings up the network, starts
#    kdump-watch-send in the background every second, signed with the image's cluster key
#    (through KdumpWatch's capture-kernel library, as its dracut and initramfs-tools scripts
#    do), saves the dump with makedumpfile, reports finished or failed, then powers off, as a
#    kdump capture environment does.
# Settings come from the kernel command line: kw_port, kw_family (4 or 6), kw_node.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() { echo "kw-e2e: [$(cut -d " " -f 1 /proc/uptime)] $*"; }
port=7410
family=4
node=kwvm
read -r cmdline </proc/cmdline
for argument in $cmdline; do
    case "$argument" in
        kw_port=*) port=${argument#kw_port=} ;;
        kw_family=*) family=${argument#kw_family=} ;;
        kw_node=*) node=${argument#kw_node=} ;;
    esac
done

# The network driver, in dependency order (written by run.sh).
read -r modules </modules/order
for module in $modules; do
    insmod "/modules/$module.ko" || say "insmod $module failed"
done
ip link set lo up
ip link set eth0 up
# QEMU's user networking (slirp): the guest is 10.0.2.15 / fec0::15, the host 10.0.2.2 / fec0::2.
if [ "$family" = 6 ]; then
    ip -6 addr add fec0::15/64 dev eth0 nodad
    target=fec0::2
else
    ip addr add 10.0.2.15/24 dev eth0
    target=10.0.2.2
fi

if [ -e /proc/vmcore ]; then
    # stat, not wc: reading /proc/vmcore through would take longer than saving the dump.
    say "capture kernel up, /proc/vmcore is $(stat -c %s /proc/vmcore) bytes"
    # What the dracut module and the initramfs-tools hook write into an image.
    KDUMP_WATCH_NODES=$target
    KDUMP_WATCH_ARGS="-i 1 -p $port"
    KDUMP_WATCH_KEY=/etc/kdump-watch/node-key-$node
    KDUMP_WATCH_KEY_ID=$(cat /etc/kdump-watch/key-id)
    KDUMP_WATCH_NODE_NAME=$node
    KDUMP_WATCH_BROADCAST=no
    # shellcheck source=../../etc/kdump-watch-capture.sh
    . /usr/share/kdump-watch/kdump-watch-capture.sh
    kdump_watch_announce /sbin/kdump-watch-send
    say "kdump-watch-send started for $target port $port, signed as $node"
    if makedumpfile -F -d 31 -l /proc/vmcore >/tmp/vmcore.flat 2>/tmp/makedumpfile.log; then
        say "dump saved: $(wc -c </tmp/vmcore.flat) bytes"
        outcome=finished
    else
        say "makedumpfile failed: $(tail -n 1 /tmp/makedumpfile.log)"
        outcome=failed
    fi
    kdump_watch_report /sbin/kdump-watch-send "$outcome"
    say "reported $outcome"
    say "powering off"
    poweroff -f
fi

kexec -p /boot/vmlinuz --initrd=/boot/capture.cpio.gz \
    --append="console=ttyS0 nr_cpus=1 reset_devices irqpoll kw_port=$port kw_family=$family kw_node=$node" \
    || say "kexec -p failed"
say "ready: capture kernel loaded ($(cat /sys/kernel/kexec_crash_loaded))"
while read -r command; do
    case "$command" in
        panic) say "panicking"; echo c >/proc/sysrq-trigger ;;
        hang) say "hanging without kdump"; while :; do :; done ;;
        *) say "unknown command: $command" ;;
    esac
done
