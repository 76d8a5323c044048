# shellcheck shell=sh
# Run in the kdump capture kernel by the dracut module and the initramfs-tools scripts of
# KdumpWatch: start kdump-watch-send before the dump, and after it stop announcing and send
# the phase `finished` or `failed` (protocol 2). Reads the configuration that
# kdump-watch-nodes.sh wrote into the image: KDUMP_WATCH_NODES, KDUMP_WATCH_ARGS,
# KDUMP_WATCH_KEY (the node key; empty under protocol 1), KDUMP_WATCH_KEY_ID (the cluster key's
# id, which the node key's messages carry), KDUMP_WATCH_NODE_NAME, KDUMP_WATCH_BROADCAST.
# POSIX sh: it runs under dash, bash and busybox.

# The announcing sender's process id and the outcome, for the post-dump hook. /run survives the
# switch to the root file system, where Debian's kdump-tools saves the dump.
KDUMP_WATCH_RUN=${KDUMP_WATCH_RUN:-/run/kdump-watch-send}

# kdump_watch_netmask PREFIX: the IPv4 netmask of a prefix length, dotted (ipconfig wants it so).
kdump_watch_netmask() {
    bits=$1 mask=""
    for _ in 1 2 3 4; do
        if [ "$bits" -ge 8 ]; then octet=255; bits=$((bits - 8)); else octet=$((256 - (1 << (8 - bits)))); bits=0; fi
        mask="${mask:+$mask.}$octet"
    done
    printf '%s' "$mask"
}

# kdump_watch_has_targets: whether there is anything to send to.
kdump_watch_has_targets() {
    [ -n "${KDUMP_WATCH_NODES:-}" ] || { [ -n "${KDUMP_WATCH_KEY:-}" ] && [ "${KDUMP_WATCH_BROADCAST:-no}" = yes ]; }
}

# kdump_watch_signing_options: the options that make signed messages (none under protocol 1).
kdump_watch_signing_options() {
    [ -n "${KDUMP_WATCH_KEY:-}" ] || return 0
    printf -- '--key %s --node-name %s' "$KDUMP_WATCH_KEY" "$KDUMP_WATCH_NODE_NAME"
    if [ -n "${KDUMP_WATCH_KEY_ID:-}" ]; then
        printf -- ' --key-id %s' "$KDUMP_WATCH_KEY_ID"
    fi
    if [ "${KDUMP_WATCH_BROADCAST:-no}" = yes ]; then
        printf ' --broadcast'
    fi
}

# kdump_watch_announce SENDER: announce the dump in the background until the machine reboots
# or kdump_watch_report stops it.
kdump_watch_announce() {
    mkdir -p "$KDUMP_WATCH_RUN"
    # shellcheck disable=SC2046,SC2086 # the options and the node list are split on purpose
    "$1" $KDUMP_WATCH_ARGS $(kdump_watch_signing_options) $KDUMP_WATCH_NODES </dev/null >/dev/null 2>&1 &
    echo "$!" > "$KDUMP_WATCH_RUN/sender.pid"
}

# kdump_watch_quiet_fence_kdump KDUMP_CONF: comment out fence_kdump_nodes in the capture image's
# kdump.conf (kdump-utils), where its kdumpbase puts them from /etc/kdump.conf or from a
# fence_kdump device of the CIB. kdump.sh reads that file after the pre-pivot hooks and would
# start upstream's fence_kdump_send for them, unsigned, beside the sender already announcing:
# under `auth = required` counted as unauthenticated, under `optional` a stale version 1 entry.
kdump_watch_quiet_fence_kdump() {
    [ -f "$1" ] && grep -q '^[[:space:]]*fence_kdump_nodes' "$1" || return 0
    sed -i 's/^[[:space:]]*fence_kdump_nodes/# announced by kdump-watch-send instead: &/' "$1"
}

# kdump_watch_keep: copy the settings and the key into KDUMP_WATCH_RUN for kdump-watch-report,
# which runs after the initramfs is gone (Debian's kdump-tools dumps from the root file system).
# /run is the capture kernel's memory, and the copy is readable by root only.
kdump_watch_keep() {
    if [ -n "${KDUMP_WATCH_KEY:-}" ]; then
        (umask 077 && cat "$KDUMP_WATCH_KEY" > "$KDUMP_WATCH_RUN/authkey") || return 1
        KDUMP_WATCH_KEY=$KDUMP_WATCH_RUN/authkey
    fi
    {
        echo "KDUMP_WATCH_NODES=\"$KDUMP_WATCH_NODES\""
        echo "KDUMP_WATCH_ARGS=\"$KDUMP_WATCH_ARGS\""
        echo "KDUMP_WATCH_KEY=\"$KDUMP_WATCH_KEY\""
        echo "KDUMP_WATCH_KEY_ID=\"${KDUMP_WATCH_KEY_ID:-}\""
        echo "KDUMP_WATCH_NODE_NAME=\"$KDUMP_WATCH_NODE_NAME\""
        echo "KDUMP_WATCH_BROADCAST=\"$KDUMP_WATCH_BROADCAST\""
    } > "$KDUMP_WATCH_RUN/kdump-watch-send.conf"
}

# kdump_watch_report SENDER PHASE: the dump is over (PHASE is finished or failed). Stops the
# announcing sender first, so that no `dumping` follows the last word, then sends PHASE three
# times, a second apart. Protocol 1 has no phases: there it only stops announcing.
kdump_watch_report() {
    if [ -r "$KDUMP_WATCH_RUN/sender.pid" ]; then
        pid=$(cat "$KDUMP_WATCH_RUN/sender.pid")
        kill "$pid" 2>/dev/null
        tries=20
        while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
            sleep 0.1
            tries=$((tries - 1))
        done
    fi
    mkdir -p "$KDUMP_WATCH_RUN"
    echo "$2" > "$KDUMP_WATCH_RUN/outcome"
    [ -n "${KDUMP_WATCH_KEY:-}" ] || return 0
    # Later options win: the count and interval given here replace those of ARGS.
    # shellcheck disable=SC2046,SC2086 # the options and the node list are split on purpose
    "$1" $KDUMP_WATCH_ARGS $(kdump_watch_signing_options) --phase "$2" -c 3 -i 1 $KDUMP_WATCH_NODES \
        </dev/null >/dev/null 2>&1
}
