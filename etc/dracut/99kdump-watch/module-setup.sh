#!/bin/bash
# dracut module: start kdump-watch-send in the kdump capture initramfs, before the dump.
# Included automatically in kdump initramfs images (mkdumprd) that have fence_kdump nodes
# configured; elsewhere only with `--add kdump-watch`.

# dracut sets moddir and initdir before it calls these functions.
# shellcheck disable=SC2154

KDUMP_WATCH_SEND=${KDUMP_WATCH_SEND:-/usr/sbin/kdump-watch-send}

check() {
    require_binaries "$KDUMP_WATCH_SEND" || return 1
    # shellcheck source=kdump-watch-nodes.sh
    . "$moddir/kdump-watch-nodes.sh"
    if [[ ${IN_KDUMP:-} == 1 ]] && [[ -n $(kdump_watch_nodes) ]]; then
        return 0
    fi
    return 255
}

depends() {
    # In kdump images kdump-utils' kdumpbase brings the network up for fence_kdump_nodes;
    # anywhere else this module needs dracut's network module.
    [[ ${IN_KDUMP:-} == 1 ]] || echo network
    return 0
}

install() {
    # shellcheck source=kdump-watch-nodes.sh
    . "$moddir/kdump-watch-nodes.sh"
    inst_binary "$KDUMP_WATCH_SEND" /usr/sbin/kdump-watch-send
    kdump_watch_write_config "$initdir/etc/kdump-watch-send.conf"
    # kdump-utils dumps from its pre-pivot hook (priority 9999); announce well before that.
    inst_hook pre-pivot 50 "$moddir/kdump-watch-send.sh"
}
