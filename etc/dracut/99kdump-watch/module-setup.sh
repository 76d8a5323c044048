#!/bin/bash
# dracut module: announce the dump with kdump-watch-send in the kdump capture initramfs, and
# report its end. Included automatically in kdump initramfs images (mkdumprd) that have
# fence_kdump nodes or a cluster key; elsewhere only with `--add kdump-watch`.

# dracut sets moddir and initdir before it calls these functions.
# shellcheck disable=SC2154

KDUMP_WATCH_SEND=${KDUMP_WATCH_SEND:-/usr/sbin/kdump-watch-send}

check() {
    require_binaries "$KDUMP_WATCH_SEND" || return 1
    # shellcheck source=kdump-watch-nodes.sh
    . "$moddir/kdump-watch-nodes.sh"
    if [[ ${IN_KDUMP:-} == 1 ]] && { [[ -n $(kdump_watch_nodes) ]] || [[ -n $(kdump_watch_key) ]]; }; then
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
    kdump_watch_prepare "$initdir" /etc/kdump-watch-send.conf
    case $? in
        0) ;;
        2) dwarn "kdump-watch: no nodes configured and no key; the capture kernel will not announce its dump"; return 0 ;;
        *)
            # dracut goes on when install() fails; an image whose sender cannot sign would only
            # be found out at the crash. Stop the build instead, as dracut's own modules do.
            dfatal "kdump-watch: the capture kernel could not sign its messages (see above)"
            exit 1
            ;;
    esac
    inst_binary "$KDUMP_WATCH_SEND" /usr/sbin/kdump-watch-send
    inst_multiple cat kill mkdir sleep
    inst_simple "$moddir/kdump-watch-capture.sh" /usr/share/kdump-watch/kdump-watch-capture.sh
    # kdump-utils dumps after the pre-pivot hooks; announce well before that.
    inst_hook pre-pivot 50 "$moddir/kdump-watch-send.sh"
    # kdump-utils runs every file of /etc/kdump/post.d after the dump, with its exit status.
    inst_simple "$moddir/kdump-watch-post.sh" /etc/kdump/post.d/kdump-watch
}
