#!/bin/bash
# dracut module of the end-to-end test (run.sh dracut): the stand-in for kdump-utils' kdumpbase,
# which Debian does not ship. Like kdumpbase it saves the dump in a pre-pivot hook after
# KdumpWatch's (priority 50), runs every file of /etc/kdump/post.d with the dump's exit status,
# and powers off instead of switching to the root file system.
check() { return 255; }
depends() { echo kdump-watch; }
install() {
    inst_multiple makedumpfile poweroff wc
    # shellcheck disable=SC2154 # dracut sets moddir
    inst_hook pre-pivot 90 "$moddir/kw-dump.sh"
}
