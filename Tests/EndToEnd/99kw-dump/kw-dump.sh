#!/bin/sh
# Sourced by dracut's pre-pivot hook runner (see module-setup.sh).
echo "kw-e2e: dracut pre-pivot: saving the dump" >/dev/console
if makedumpfile -F -d 31 -l /proc/vmcore >/sysroot/vmcore.flat 2>/tmp/makedumpfile.log; then
    kw_status=0
else
    kw_status=1
fi
echo "kw-e2e: makedumpfile exit $kw_status, $(wc -c </sysroot/vmcore.flat) bytes" >/dev/console
for kw_hook in /etc/kdump/post.d/*; do
    [ -x "$kw_hook" ] && "$kw_hook" "$kw_status" >/dev/console 2>&1
done
echo "kw-e2e: powering off" >/dev/console
poweroff -f
