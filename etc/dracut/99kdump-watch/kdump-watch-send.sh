#!/bin/sh
# Capture kernel (dracut pre-pivot hook, sourced by dracut's shell: no exit here): tell the
# cluster this node is dumping, in the background, until the post-dump hook stops it.
if [ -r /etc/kdump-watch-send.conf ]; then
    # shellcheck source=/dev/null # written into the image by module-setup.sh
    . /etc/kdump-watch-send.conf
    # shellcheck source=kdump-watch-capture.sh
    . /usr/share/kdump-watch/kdump-watch-capture.sh
    if kdump_watch_has_targets; then
        kdump_watch_announce /usr/sbin/kdump-watch-send
        echo "kdump-watch: announcing kdump to ${KDUMP_WATCH_NODES:-every broadcast address}" >&2
        kdump_watch_quiet_fence_kdump /etc/kdump.conf
    fi
fi
