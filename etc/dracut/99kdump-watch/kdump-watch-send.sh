#!/bin/sh
# Capture kernel (dracut pre-pivot): tell the cluster this node is dumping, in the background,
# until the dump is done and the machine reboots.
[ -r /etc/kdump-watch-send.conf ] || exit 0
. /etc/kdump-watch-send.conf
[ -n "$KDUMP_WATCH_NODES" ] || exit 0
# shellcheck disable=SC2086 # word splitting of the arguments and the node list is intended
/usr/sbin/kdump-watch-send $KDUMP_WATCH_ARGS $KDUMP_WATCH_NODES </dev/null >/dev/null 2>&1 &
echo "kdump-watch: announcing kdump to $KDUMP_WATCH_NODES" >&2
