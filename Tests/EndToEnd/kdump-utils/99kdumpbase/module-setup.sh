#!/bin/bash
# Stand-in for kdump-utils' dracut module kdumpbase, which Debian does not package; mkdumprd
# (the test's stand-in) adds it. Read from its published module-setup.sh, it keeps what decides
# what KdumpWatch's module meets in the image:
#   - /etc/kdump.conf copied without comments, /etc/kdump/pre.d and post.d copied;
#   - kdump-capture.service (kdump.sh) wanted by initrd.target, after dracut's pre-pivot hooks;
#   - every emergency (emergency.service, dracut-emergency.service) isolating
#     kdump-error-handler.service, which runs `kdump.sh --error-handler`;
#   - fence_kdump: with fence_kdump_nodes in kdump.conf, upstream's sender
#     (/usr/libexec/fence_kdump_send), /etc/hosts, and for each node the interface that reaches
#     it, by MAC under the name kdump-IFNAME, with the address it has now, and dracut's network.

# dracut sets moddir, initdir and systemdsystemunitdir before it calls these functions.
# shellcheck disable=SC2154

fence_kdump_nodes() { sed -n 's/^[[:space:]]*fence_kdump_nodes[[:space:]]\{1,\}//p' /etc/kdump.conf 2>/dev/null; }

check() { return 255; }

depends() {
    local modules="base systemd-initrd dracut-systemd fs-lib"
    [[ -n $(fence_kdump_nodes) ]] && modules="$modules network"
    echo "$modules"
}

netmask() { # prefix length -> dotted mask
    local bits=$1 mask="" octet
    for _ in 1 2 3 4; do
        if ((bits >= 8)); then octet=255; else octet=$((256 - (1 << (8 - bits)))); fi
        ((bits > 0)) || octet=0
        bits=$((bits > 8 ? bits - 8 : 0))
        mask=$mask${mask:+.}$octet
    done
    echo "$mask"
}

# A node's route (ip route get): the interface, source address and gateway kdumpbase writes as
# ip= and ifname= into the image's etc/cmdline.d.
install_fence_kdump_network() {
    local node address route device source gateway prefix
    for node in $(fence_kdump_nodes); do
        address=$(getent ahostsv4 "$node" | awk '{ print $1; exit }')
        route=$(ip -o -4 route get "$address")
        device=$(sed -n 's/.* dev \([^ ]*\).*/\1/p' <<<"$route")
        source=$(sed -n 's/.* src \([^ ]*\).*/\1/p' <<<"$route")
        gateway=$(sed -n 's/.* via \([^ ]*\).*/\1/p' <<<"$route")
        prefix=$(ip -o -4 addr show dev "$device" | awk -v s="$source" '$4 ~ "^" s "/" { sub(".*/", "", $4); print $4 }')
        instmods "$(basename "$(readlink -f "/sys/class/net/$device/device/driver/module")")"
        echo "ifname=kdump-$device:$(cat "/sys/class/net/$device/address")"
        echo "ip=$source::$gateway:$(netmask "$prefix")::kdump-$device:none"
    done | sort -u >"$initdir/etc/cmdline.d/40ip.conf"
    echo "rd.neednet=1" >>"$initdir/etc/cmdline.d/40ip.conf"
}

install() {
    mkdir -p "$initdir/etc/cmdline.d"
    grep -v '^[[:space:]]*\(#\|$\)' /etc/kdump.conf >"$initdir/etc/kdump.conf"
    local hooks
    for hooks in /etc/kdump/pre.d /etc/kdump/post.d; do
        [[ -d $hooks ]] && inst_dir "$hooks" && cp -a "$hooks/." "$initdir$hooks/"
    done
    inst_multiple makedumpfile mkdir mv sync date sed grep cat
    inst_script "$moddir/kdump.sh" /bin/kdump.sh
    inst_simple "$moddir/kdump-capture.service" "$systemdsystemunitdir/kdump-capture.service"
    mkdir -p "$initdir$systemdsystemunitdir/initrd.target.wants"
    ln -sf ../kdump-capture.service "$initdir$systemdsystemunitdir/initrd.target.wants/kdump-capture.service"
    # In place of dracut's own units, which other modules installed first (inst_* keeps a file
    # that is already there).
    cp "$moddir/kdump-emergency.service" "$initdir$systemdsystemunitdir/emergency.service"
    cp "$moddir/kdump-emergency.service" "$initdir$systemdsystemunitdir/dracut-emergency.service"
    inst_simple "$moddir/kdump-error-handler.service" "$systemdsystemunitdir/kdump-error-handler.service"
    if [[ -n $(fence_kdump_nodes) ]]; then
        inst_binary /usr/libexec/fence_kdump_send
        inst_simple /etc/hosts
        install_fence_kdump_network
    fi
}
