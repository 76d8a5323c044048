# shellcheck shell=sh
# Shared by the dracut module and the initramfs-tools hook of KdumpWatch, when the capture
# initramfs is built: which nodes the capture kernel's kdump-watch-send sends to, with which
# options, and — when this node has a cluster key — this node's key, derived from the cluster key
# (never the cluster key itself), and the node name that sign its messages (protocol 2).
# Documentation/operators-guide.md, "Capture kernel", says how to set it.
#
# Sources, first match wins:
#   1. kdump.conf (kdump-utils): fence_kdump_nodes and fence_kdump_args
#   2. /etc/kdump-watch/kdump-watch-send.conf: NODES, ARGS, KEY, NODE_NAME, CLUSTER_NAME, BROADCAST
#   3. for the nodes, when neither names any: corosync.conf's nodelist (each node's first address)
# The local node (its host names and addresses) is always removed: a node never waits for itself.

KDUMP_CONF=${KDUMP_CONF:-/etc/kdump.conf}
KDUMP_WATCH_SEND_CONF=${KDUMP_WATCH_SEND_CONF:-/etc/kdump-watch/kdump-watch-send.conf}
KDUMP_WATCH_DEFAULT_KEY=${KDUMP_WATCH_DEFAULT_KEY:-/etc/kdump-watch/authkey}
KDUMP_WATCH_NODE_NAME_FILE=${KDUMP_WATCH_NODE_NAME_FILE:-/etc/kdump-watch/node-name}
# The cluster's nodes: the node name must be one of them (kdump-watch-send(8)).
KDUMP_WATCH_COROSYNC_CONF=${KDUMP_WATCH_COROSYNC_CONF:-/etc/corosync/corosync.conf}
# Derives the node key (kdump-watchctl keygen --node); make install points it at SBINDIR.
KDUMP_WATCH_CTL=${KDUMP_WATCH_CTL:-/usr/sbin/kdump-watchctl}
# Where the key and the node name go inside the image (kdump-watch-send(8) reads the latter).
KDUMP_WATCH_IMAGE_KEY=/etc/kdump-watch/authkey
KDUMP_WATCH_IMAGE_NODE_NAME=/etc/kdump-watch/node-name

# kdump_watch_conf_value KEY: the value of KEY in kdump.conf (rest of the line, comments dropped).
kdump_watch_conf_value() {
    [ -r "$KDUMP_CONF" ] || return 0
    sed -n "s/#.*//; s/[[:space:]]*$//; s/^[[:space:]]*$1[[:space:]]\{1,\}//p" "$KDUMP_CONF" | tail -n 1
}

# kdump_watch_send_conf_value NAME: the value of NAME in kdump-watch-send.conf (a shell file).
kdump_watch_send_conf_value() {
    [ -r "$KDUMP_WATCH_SEND_CONF" ] || return 0
    # shellcheck source=kdump-watch-send.conf
    (. "$KDUMP_WATCH_SEND_CONF" && eval "printf '%s' \"\${$1:-}\"")
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

# kdump_watch_is_local LOCALS WORD...: whether one of the WORDs (a node's name, its addresses)
# is this machine's; LOCALS is what kdump_watch_local_names prints.
kdump_watch_is_local() {
    kdump_watch_locals=$1
    shift
    for kdump_watch_word in "$@"; do
        printf '%s\n' "$kdump_watch_locals" | grep -qxF -- "$kdump_watch_word" && return 0
    done
    return 1
}

# kdump_watch_nodes: the nodes to send to, space separated, without the local node:
# fence_kdump_nodes, else NODES, else the other nodes of corosync.conf's nodelist.
kdump_watch_nodes() {
    nodes=$(kdump_watch_conf_value fence_kdump_nodes)
    [ -n "$nodes" ] || nodes=$(kdump_watch_send_conf_value NODES)
    locals=$(kdump_watch_local_names | sort -u)
    if [ -z "$nodes" ]; then
        # Neither: the cluster's other nodes, by the first address corosync.conf gives each, so
        # that the list does not depend on a fence_kdump device in the CIB (kdump-utils takes
        # its list from one, and loses it when the device is deleted for ours).
        nodes=$(kdump_watch_corosync_nodes | while read -r name addresses; do
            # shellcheck disable=SC2086 # a name and its addresses, split on purpose
            kdump_watch_is_local "$locals" $name $addresses && continue
            first=${addresses%% *}
            printf '%s ' "${first:-$name}"
        done)
    fi
    result=""
    for node in $nodes; do
        kdump_watch_is_local "$locals" "$node" && continue
        result="${result:+$result }$node"
    done
    printf '%s' "$result"
}

# kdump_watch_addresses NODES: each node's addresses as this node resolves them now, space
# separated; a name that does not resolve stays as it is (the sender tries it every round). The
# capture initramfs has neither this node's /etc/hosts nor, often, a name server.
kdump_watch_addresses() {
    result=""
    for node in $1; do
        addresses=$(getent ahosts "$node" 2>/dev/null | awk '!seen[$1]++ { print $1 }' | tr '\n' ' ')
        result="${result:+$result }${addresses:-$node}"
    done
    printf '%s' "$result" | tr -s ' ' | sed 's/ $//'
}

# kdump_watch_args: the sender's options: kdump.conf's fence_kdump_args, plus --also-v1 when
# ARGS has it; else ARGS; else "-i 1" (announce every second).
kdump_watch_args() {
    args=$(kdump_watch_conf_value fence_kdump_args)
    ours=$(kdump_watch_send_conf_value ARGS)
    if [ -z "$args" ]; then
        printf '%s' "${ours:--i 1}"
        return 0
    fi
    # kdump.conf's options win where upstream's sender has them too; --also-v1, which only ours
    # has, is kept from ARGS: dropped, a migration's unsigned copy would be missing unsaid.
    case " $ours " in *" --also-v1 "*) args="$args --also-v1" ;; esac
    printf '%s' "$args"
}

# kdump_watch_key: the key file that signs the capture kernel's messages; nothing (protocol 1)
# when KEY is "none", or when KEY is unset and the default key file does not exist.
kdump_watch_key() {
    key=$(kdump_watch_send_conf_value KEY)
    case "$key" in
        none) return 0 ;;
        "") [ -e "$KDUMP_WATCH_DEFAULT_KEY" ] || return 0; key=$KDUMP_WATCH_DEFAULT_KEY ;;
    esac
    printf '%s' "$key"
}

# kdump_watch_check_key FILE: what kdump-watch-send would refuse in the capture kernel is
# refused now, when someone is there to read the error.
kdump_watch_check_key() {
    if [ ! -r "$1" ]; then
        echo "kdump-watch: cannot read the key file $1" >&2
        return 1
    fi
    mode=$(stat -L -c %a "$1")
    case "$mode" in
        # Any bit for the group or others, as ssh refuses a private key: what the sender and
        # the daemon refuse.
        *[1-7]?|*[1-7]) echo "kdump-watch: $1 is readable or writable by others (mode $mode); chmod 600 it" >&2; return 1 ;;
    esac
    owner=$(stat -L -c %u "$1")
    if [ "$owner" != 0 ] && [ "$owner" != "$(id -u)" ]; then
        echo "kdump-watch: $1 belongs to user $owner, not to root or this user; chown it" >&2
        return 1
    fi
    digits=$(cat "$1")
    if [ "$(wc -c < "$1")" -gt 65 ] || ! printf '%s\n' "$digits" | grep -qxE '[0-9A-Fa-f]{64}'; then
        echo "kdump-watch: $1 is not a key file (64 hexadecimal digits; kdump-watchctl keygen writes one)" >&2
        return 1
    fi
}

# kdump_watch_corosync_nodes: corosync.conf's nodelist, one node a line: its name (else its
# first address), then its ringN_addr addresses; nothing without the file or a nodelist.
kdump_watch_corosync_nodes() {
    [ -r "$KDUMP_WATCH_COROSYNC_CONF" ] || return 0
    awk '
        { sub(/#.*/, ""); gsub(/[{}]/, " & ") }
        {
            for (i = 1; i <= NF; i++) {
                word = $i
                if (word == "{") { depth++; if (depth == 1) section = previous; if (depth == 2 && section == "nodelist") { name = ""; addresses = "" } }
                else if (word == "}") {
                    if (depth == 2 && section == "nodelist") { if (name == "") { name = addresses; sub(/ .*/, "", name) } if (name != "") print name " " addresses }
                    depth--
                } else if (depth == 2 && section == "nodelist" && word == "name:") { name = $(i + 1); i++ }
                else if (depth == 2 && section == "nodelist" && word ~ /^ring[0-9]+_addr:$/) { addresses = addresses (addresses == "" ? "" : " ") $(i + 1); i++ }
                previous = word
            }
        }' "$KDUMP_WATCH_COROSYNC_CONF"
}

# kdump_watch_node_name: the node's name in the cluster, which signed messages carry: NODE_NAME,
# else the recorded one, else what Pacemaker calls this node, else the node of corosync.conf's
# nodelist that has one of this machine's names or addresses (Pacemaker may not run yet while
# the image is built), else `uname -n`. With a nodelist, a name that is not in it is refused:
# the daemons would drop every message signed with it.
kdump_watch_node_name() {
    name=$(kdump_watch_send_conf_value NODE_NAME)
    [ -n "$name" ] || name=$(head -n 1 "$KDUMP_WATCH_NODE_NAME_FILE" 2>/dev/null)
    if [ -z "$name" ] && command -v crm_node >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
        name=$(timeout 10 crm_node -n 2>/dev/null)
    fi
    cluster=$(kdump_watch_corosync_nodes)
    if [ -z "$name" ] && [ -n "$cluster" ]; then
        locals=$(kdump_watch_local_names | sort -u)
        name=$(printf '%s\n' "$cluster" | while read -r node addresses; do
            # shellcheck disable=SC2086 # a name and its addresses, split on purpose
            if kdump_watch_is_local "$locals" $node $addresses; then printf '%s' "$node"; break; fi
        done)
    fi
    [ -n "$name" ] || name=$(uname -n)
    if ! printf '%s\n' "$name" | grep -qxE '[A-Za-z0-9._-]{1,64}'; then
        echo "kdump-watch: invalid node name '$name' (1 to 64 of A-Z a-z 0-9 . _ -); set NODE_NAME in $KDUMP_WATCH_SEND_CONF" >&2
        return 1
    fi
    if [ -n "$cluster" ] && ! printf '%s\n' "$cluster" | cut -d ' ' -f 1 | grep -qxF -- "$name"; then
        echo "kdump-watch: node name '$name' is not in the nodelist of $KDUMP_WATCH_COROSYNC_CONF ($(printf '%s\n' "$cluster" | cut -d ' ' -f 1 | tr '\n' ' ' | sed 's/ $//')); set NODE_NAME in $KDUMP_WATCH_SEND_CONF to this node's name there" >&2
        return 1
    fi
    printf '%s' "$name"
}

# kdump_watch_broadcast: "yes" (the default) or "no": whether signed messages also go to every
# broadcast address, so that the capture kernel needs no peer list.
kdump_watch_broadcast() {
    value=$(kdump_watch_send_conf_value BROADCAST)
    case "${value:-yes}" in
        yes | no) printf '%s' "${value:-yes}" ;;
        *) echo "kdump-watch: BROADCAST must be yes or no, not '$value' ($KDUMP_WATCH_SEND_CONF)" >&2; return 1 ;;
    esac
}

# kdump_watch_prepare ROOT CONFIG: check this node's settings and write what the capture
# kernel needs under the image's root directory ROOT: the configuration file CONFIG (a path
# inside the image) and, with a key, the key (mode 0600) and the node name. Fails, saying why,
# on a key or name that would not work; returns 2 when there is nothing to send to.
kdump_watch_prepare() {
    nodes=$(kdump_watch_addresses "$(kdump_watch_nodes)")
    args=$(kdump_watch_args)
    key=$(kdump_watch_key)
    image_key="" name="" broadcast=no key_id="" node_key=""
    if [ -n "$key" ]; then
        kdump_watch_check_key "$key" || return 1
        name=$(kdump_watch_node_name) || return 1
        broadcast=$(kdump_watch_broadcast) || return 1
        image_key=$KDUMP_WATCH_IMAGE_KEY
        # The image holds this node's key only: one leaked image must not sign for every node.
        # The cluster name is CLUSTER_NAME, else what the daemon reads (its cluster_name, else
        # corosync's totem.cluster_name).
        cluster=$(kdump_watch_send_conf_value CLUSTER_NAME)
        node_key=$("$KDUMP_WATCH_CTL" keygen --node "$name" --key "$key" ${cluster:+--cluster-name "$cluster"} \
            --output -) || { echo "kdump-watch: cannot derive the node key of $name with $KDUMP_WATCH_CTL" >&2; return 1; }
        key_id=$("$KDUMP_WATCH_CTL" keygen --key-id --key "$key") || return 1
    fi
    if [ -z "$nodes" ] && [ "$broadcast" = no ]; then
        return 2
    fi
    mkdir -p "$1$(dirname "$2")"
    if [ -n "$key" ]; then
        mkdir -p "$1$(dirname "$KDUMP_WATCH_IMAGE_KEY")"
        (umask 077 && printf '%s\n' "$node_key" > "$1$KDUMP_WATCH_IMAGE_KEY") || return 1
        chmod 0600 "$1$KDUMP_WATCH_IMAGE_KEY"
        printf '%s\n' "$name" > "$1$KDUMP_WATCH_IMAGE_NODE_NAME"
    fi
    {
        echo "# written by KdumpWatch when the capture initramfs was built"
        echo "KDUMP_WATCH_NODES=\"$nodes\""
        echo "KDUMP_WATCH_ARGS=\"$args\""
        echo "KDUMP_WATCH_KEY=\"$image_key\""
        echo "KDUMP_WATCH_KEY_ID=\"$key_id\""
        echo "KDUMP_WATCH_NODE_NAME=\"$name\""
        echo "KDUMP_WATCH_BROADCAST=\"$broadcast\""
    } > "$1$2"
}

# kdump_watch_interfaces NODES: the interfaces this node reaches NODES through (the route to
# each of their addresses), one per line; with no node, every interface that is up with a global
# IPv4 address (the broadcast case). Needs ip(8); prints nothing without it.
kdump_watch_interfaces() {
    command -v ip >/dev/null 2>&1 || return 0
    if [ -n "$1" ]; then
        for node in $1; do
            getent ahosts "$node" 2>/dev/null | awk '!seen[$1]++ { print $1 }' | while read -r address; do
                ip -o route get "$address" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p'
            done
        done | grep -vx lo | sort -u
    else
        ip -o -4 addr show scope global up 2>/dev/null | awk '{ print $2 }' | sort -u
    fi
}

# kdump_watch_network_plan NODES: how the capture initramfs brings up what reaches NODES, one
# line per interface: "MAC ADDRESS/PREFIX GATEWAY MODULE" (GATEWAY "-" when the nodes are on
# the link; MODULE the driver to load). The capture kernel names interfaces anew, so the
# interface is found again by its MAC address. Only interfaces that are a device of their own
# can be brought up there; for a bond, VLAN or bridge it fails, saying which and what to do.
kdump_watch_network_plan() {
    for interface in $(kdump_watch_interfaces "$1"); do
        sys=/sys/class/net/$interface
        if [ ! -e "$sys/device" ]; then
            kind=virtual
            [ -d "$sys/bonding" ] && kind=bond
            [ -d "$sys/bridge" ] && kind=bridge
            [ -e "/proc/net/vlan/$interface" ] && kind=VLAN
            echo "kdump-watch: the nodes are reached through $interface, a $kind, which the capture initramfs cannot bring up; add ip= for a plain interface that reaches them to KDUMP_CMDLINE_APPEND" >&2
            return 1
        fi
        mac=$(cat "$sys/address")
        module=$(basename "$(readlink -f "$sys/device/driver/module" 2>/dev/null)" 2>/dev/null)
        address=$(ip -o -4 addr show dev "$interface" scope global 2>/dev/null | awk '{ print $4; exit }')
        gateway=$(ip -o -4 route show default dev "$interface" 2>/dev/null | awk '{ print $3; exit }')
        [ -n "$address" ] || continue
        echo "$mac $address ${gateway:--} ${module:--}"
    done
}
