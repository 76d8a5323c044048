#!/bin/sh
# Capture kernel (kdump-utils' /etc/kdump/post.d, run after the dump with its exit status; its
# emergency.d and the error handler's drop-in, on the error path, without one or with 1): stop
# announcing and tell the cluster whether the dump was saved.
[ -r /etc/kdump-watch-send.conf ] || exit 0
# shellcheck source=/dev/null # written into the image by module-setup.sh
. /etc/kdump-watch-send.conf
# shellcheck source=kdump-watch-capture.sh
. /usr/share/kdump-watch/kdump-watch-capture.sh
# Called again from kdump-utils' error path after a failed dump: the first report stands.
[ -e "$KDUMP_WATCH_RUN/outcome" ] && exit 0
if [ "${1:-1}" = 0 ]; then phase=finished; else phase=failed; fi
kdump_watch_report /usr/sbin/kdump-watch-send "$phase"
echo "kdump-watch: dump $phase, reported" >&2
exit 0
