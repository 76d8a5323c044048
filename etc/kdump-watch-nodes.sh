# shellcheck shell=sh
# Shared by the dracut module and the initramfs-tools hook of KdumpWatch: which nodes the
# capture kernel's kdump-watch-send should send to, and with which arguments.
#
# Sources, first match wins:
#   1. kdump.conf (kdump-utils): fence_kdump_nodes and fence_kdump_args
#   2. /etc/kdump-watch/kdump-watch-send.conf: NODES="..." and ARGS="..."
# The local node (its host names and addresses) is always removed: a node never waits for itself.

KDUMP_CONF=${KDUMP_CONF:-/etc/kdump.conf}
KDUMP_WATCH_SEND_CONF=${KDUMP_WATCH_SEND_CONF:-/etc/kdump-watch/kdump-watch-send.conf}

# kdump_watch_conf_value KEY: the value of KEY in kdump.conf (rest of the line, comments dropped).
kdump_watch_conf_value() {
    [ -r "$KDUMP_CONF" ] || return 0
    sed -n "s/#.*//; s/[[:space:]]*$//; s/^[[:space:]]*$1[[:space:]]\{1,\}//p" "$KDUMP_CONF" | tail -n 1
}

# kdump_watch_local_names: every name and address of this machine, one per line.
kdump_watch_local_names() {
    if [ -n "${KDUMP_WATCH_LOCAL_NAMES:-}" ]; then
        # shellcheck disable=SC2086 # a space-separated list, split on purpose
        printf '%s\n' $KDUMP_WATCH_LOCAL_NAMES
        return 0
    fi
    hostname 2>/dev/null
    hostname -s 2>/dev/null
    hostname -f 2>/dev/null
    cat /proc/sys/kernel/hostname 2>/dev/null
    if command -v ip >/dev/null 2>&1; then
        ip -o addr show 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }'
    fi
}

# kdump_watch_nodes: the nodes to send to, space separated, without the local node.
kdump_watch_nodes() {
    nodes=$(kdump_watch_conf_value fence_kdump_nodes)
    if [ -z "$nodes" ] && [ -r "$KDUMP_WATCH_SEND_CONF" ]; then
        # shellcheck source=kdump-watch-send.conf
        nodes=$(. "$KDUMP_WATCH_SEND_CONF" && printf '%s' "${NODES:-}")
    fi
    locals=$(kdump_watch_local_names | sort -u)
    result=""
    for node in $nodes; do
        if printf '%s\n' "$locals" | grep -qxF -- "$node"; then
            continue
        fi
        result="${result:+$result }$node"
    done
    printf '%s' "$result"
}

# kdump_watch_args: the sender's options (default "-i 1": announce every second).
kdump_watch_args() {
    args=$(kdump_watch_conf_value fence_kdump_args)
    if [ -z "$args" ] && [ -r "$KDUMP_WATCH_SEND_CONF" ]; then
        # shellcheck source=kdump-watch-send.conf
        args=$(. "$KDUMP_WATCH_SEND_CONF" && printf '%s' "${ARGS:-}")
    fi
    printf '%s' "${args:--i 1}"
}

# kdump_watch_write_config FILE: the configuration the capture kernel reads.
kdump_watch_write_config() {
    {
        echo "# written by KdumpWatch when the capture initramfs was built"
        echo "KDUMP_WATCH_NODES=\"$(kdump_watch_nodes)\""
        echo "KDUMP_WATCH_ARGS=\"$(kdump_watch_args)\""
    } > "$1"
}
