#!/bin/sh
# Stand-in for kdump-utils' kdump.sh (kdumpbase), in its order, read from its published source:
# start upstream's sender for fence_kdump_nodes (fence_kdump_notify), run kdump_pre and pre.d,
# save the dump to the root file system's path (/var/crash by default) with makedumpfile, run
# post.d and kdump_post with the dump's exit status, exit 1 when it failed (the unit's failure
# leads to the error handler), else the final action. `--error-handler`: the failure action
# (reboot), as kdump-error-handler.service runs it.
say() { echo "kdump: $*" >/dev/console; }
conf=/etc/kdump.conf
path=/var/crash
nodes=""
args=""
pre=""
post=""
while read -r option value; do
    case $option in
        path) path=$value ;;
        fence_kdump_nodes) nodes=$value ;;
        fence_kdump_args) args=$value ;;
        kdump_pre) pre=$value ;;
        kdump_post) post=$value ;;
    esac
done <"$conf"
final_action() {
    say "executing final action systemctl reboot -f"
    systemctl reboot -f
}
if [ "${1:-}" = --error-handler ]; then
    say "error handler: executing failure action systemctl reboot -f"
    final_action
    exit 0
fi
if [ -n "$nodes" ]; then
    say "starting /usr/libexec/fence_kdump_send $args $nodes"
    # shellcheck disable=SC2086 # options and nodes, as kdump.sh splits them
    /usr/libexec/fence_kdump_send $args $nodes &
fi
if [ -n "$pre" ] && ! "$pre"; then
    say "kdump_pre failed"
    final_action
    exit 1
fi
for hook in /etc/kdump/pre.d/*; do [ -x "$hook" ] && "$hook"; done
directory=$NEWROOT$path/127.0.0.1-$(date +%Y-%m-%d-%T)
status=1
case $(sed -n "s|^[^ ]* $NEWROOT [^ ]* \([^,]*\).*|\1|p" /proc/mounts) in
    ro) mount -o remount,rw "$NEWROOT" ;;
esac
say "saving to $directory"
if mkdir -p "$directory" && makedumpfile -l --message-level 7 -d 31 /proc/vmcore "$directory/vmcore-incomplete" \
    && sync -f "$directory/vmcore-incomplete" && mv "$directory/vmcore-incomplete" "$directory/vmcore"; then
    status=0
    say "saving vmcore complete"
else
    say "saving vmcore failed"
fi
for hook in /etc/kdump/post.d/*; do [ -x "$hook" ] && "$hook" "$status"; done
[ -n "$post" ] && "$post" "$status"
[ "$status" = 0 ] || exit 1
final_action
