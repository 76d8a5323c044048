#!/bin/bash
# dracut module: announce the dump with kdump-watch-send in the kdump capture initramfs, and
# report its end. Included automatically in kdump initramfs images (mkdumprd) that have
# fence_kdump nodes or a cluster key; elsewhere only with `--add kdump-watch`.

# dracut sets moddir and initdir before it calls these functions.
# shellcheck disable=SC2154

KDUMP_WATCH_SEND=${KDUMP_WATCH_SEND:-/usr/sbin/kdump-watch-send}
# kdump-utils' settings (KDUMP_COMMANDLINE_APPEND).
KDUMP_SYSCONFIG=${KDUMP_SYSCONFIG:-/etc/sysconfig/kdump}
# What kdump-utils looks at to tell whether the CIB has a fence_kdump device.
KDUMP_WATCH_PCS=${KDUMP_WATCH_PCS:-pcs}
KDUMP_WATCH_FENCE_KDUMP_SEND=${KDUMP_WATCH_FENCE_KDUMP_SEND:-/usr/libexec/fence_kdump_send}

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
    echo network
    return 0
}

# Whether kdumpbase configures the network for its own fence_kdump setup, as kdump-utils decides
# it: fence_kdump_nodes in kdump.conf, or a fence_kdump device in the CIB (`pcs cluster cib`)
# with upstream's sender installed. Its ip= and ifname= would then name the same interfaces as
# ours under other names, and the capture kernel would wait for the ones never renamed.
kdump_watch_kdumpbase_brings_up_network() {
    [[ -n $(kdump_watch_conf_value fence_kdump_nodes) ]] && return 0
    [[ -x $KDUMP_WATCH_FENCE_KDUMP_SEND ]] && command -v "$KDUMP_WATCH_PCS" >/dev/null 2>&1 \
        && "$KDUMP_WATCH_PCS" cluster cib 2>/dev/null | grep -q 'type="fence_kdump"'
}

# kdump-utils' mkdumprd builds with --hostonly-nics '' and configures interfaces only for its own
# fence_kdump_nodes, so with our node list (or broadcast) alone the capture kernel would have no
# network. Bring up the interfaces that reach the nodes with the addresses they have now, as
# kdumpbase does for fence_kdump_nodes: their drivers, and ip= and ifname= (by MAC, under a name of
# our own) in the image's command line for dracut's network module. Where kdumpbase does it
# (above), or ip= in KDUMP_COMMANDLINE_APPEND does, this adds nothing.
kdump_watch_install_network() {
    local plan mac address gateway module index=0 append
    kdump_watch_kdumpbase_brings_up_network && return 0
    # shellcheck source=kdump-watch-capture.sh # kdump_watch_netmask
    . "$moddir/kdump-watch-capture.sh"
    # shellcheck source=/dev/null # kdump-utils' settings, a shell file
    append=$([[ -r $KDUMP_SYSCONFIG ]] && . "$KDUMP_SYSCONFIG" && echo "${KDUMP_COMMANDLINE_APPEND:-}")
    [[ " $append " == *" ip="* ]] && return 0
    # A bond, VLAN or bridge (the plan says which) is not stopped for: a capture kernel that
    # cannot announce is still better than no dump at all, and `kdump-watchctl check` flags it.
    # shellcheck source=/dev/null # written by kdump_watch_prepare
    plan=$(. "$initdir/etc/kdump-watch-send.conf" && kdump_watch_network_plan "$KDUMP_WATCH_NODES") || plan=""
    if [[ -z $plan ]]; then
        dwarn "kdump-watch: no interface reaches the nodes, so the capture kernel cannot announce its dump; add ip= to KDUMP_COMMANDLINE_APPEND in $KDUMP_SYSCONFIG"
        return 0
    fi
    mkdir -p "$initdir/etc/cmdline.d"
    while read -r mac address gateway module; do
        [[ $module == - ]] || instmods "$module"
        [[ $gateway == - ]] && gateway=""
        echo "ifname=kdwatch$index:$mac ip=${address%/*}::$gateway:$(kdump_watch_netmask "${address#*/}")::kdwatch$index:none"
        index=$((index + 1))
    done <<<"$plan" >"$initdir/etc/cmdline.d/95kdump-watch.conf"
    echo "rd.neednet=1" >>"$initdir/etc/cmdline.d/95kdump-watch.conf"
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
    [[ ${IN_KDUMP:-} == 1 ]] && kdump_watch_install_network
    inst_binary "$KDUMP_WATCH_SEND" /usr/sbin/kdump-watch-send
    inst_multiple cat grep kill mkdir sed sleep
    inst_simple "$moddir/kdump-watch-capture.sh" /usr/share/kdump-watch/kdump-watch-capture.sh
    # kdump-utils dumps after the pre-pivot hooks; announce well before that.
    inst_hook pre-pivot 50 "$moddir/kdump-watch-send.sh"
    # kdump-utils runs every file of /etc/kdump/post.d after the dump, with its exit status.
    inst_simple "$moddir/kdump-watch-post.sh" /etc/kdump/post.d/kdump-watch
    # Its error path does not: when kdump-capture.service fails (a pre hook, the dump target's
    # mount, the dump), kdump-error-handler.service (which its emergency.service also leads to)
    # runs the failure action. Report `failed` before it: from /etc/kdump/emergency.d, which
    # kdump-utils runs there (without an argument: the hook's default is `failed`), and, for
    # kdump-utils without it, from a drop-in of the handler's unit.
    if [[ ${IN_KDUMP:-} == 1 ]]; then
        inst_simple "$moddir/kdump-watch-post.sh" /etc/kdump/emergency.d/kdump-watch
        mkdir -p "$initdir$systemdsystemunitdir/kdump-error-handler.service.d"
        printf '%s\n' "# KdumpWatch: tell the cluster the dump failed, then the failure action" "[Service]" \
            "ExecStartPre=-/etc/kdump/post.d/kdump-watch 1" \
            >"$initdir$systemdsystemunitdir/kdump-error-handler.service.d/kdump-watch.conf"
    fi
}
