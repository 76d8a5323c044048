# shellcheck shell=bash disable=SC2154 # root, here, work and port are the caller's (below)
# The end-to-end test's node image (sourced by run.sh): a busybox root with the guest kernel,
# kexec and, in /boot, the capture initramfs of one case, built the way that case's kdump service
# builds it. Apart from the scenarios so that each can grow on its own.
#
# The caller sets root, here, BUILD, SENDER, CACHE, KERNEL, work and port (the daemon's UDP port,
# which the dracut image holds), and defines fail and phase. build_node_image CASE sets
# image to the node's initramfs: cached by the hash of everything in it for the handmade case,
# built in $work for the others (they hold this run's port).

kernel_version=${KERNEL#/boot/vmlinuz-}
modules_dir=/lib/modules/$kernel_version/kernel
# The network driver and what it needs, in load order (modules.dep lists the same).
guest_modules="failover net_failover virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_net"

copy_program() { # program destination-tree path-in-tree
    install -D -m 0755 "$1" "$2$3"
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r library; do
        [ -e "$2$library" ] || install -D -m 0755 "$(readlink -f "$library")" "$2$library"
    done
}
capture_tree() { # destination-tree
    mkdir -p "$1"/{bin,sbin,proc,sys,dev,tmp,modules,boot}
    install -m 0755 "$(command -v busybox)" "$1/bin/busybox"
    install -m 0755 "$here/guest-init.sh" "$1/init"
    for module in $guest_modules; do
        install -m 0644 "$(find "$modules_dir" -name "$module.ko" | head -n 1)" "$1/modules/"
    done
    echo "$guest_modules" >"$1/modules/order"
    copy_program "$SENDER" "$1" /sbin/kdump-watch-send
    install -D -m 0644 "$root/etc/kdump-watch-capture.sh" "$1/usr/share/kdump-watch/kdump-watch-capture.sh"
    # Each node's own key, never the cluster key (kdump-watchctl keygen --node), and the cluster
    # key's id, which their messages carry.
    for node in kwvm1 kwvm2; do
        (umask 077 && mkdir -p "$1/etc/kdump-watch" && "$BUILD/kdump-watchctl" keygen --node "$node" \
            --key "$CACHE/authkey" --cluster-name kw-e2e --output - >"$1/etc/kdump-watch/node-key-$node")
    done
    "$BUILD/kdump-watchctl" keygen --key-id --key "$CACHE/authkey" >"$1/etc/kdump-watch/key-id"
    copy_program "$(command -v makedumpfile)" "$1" /bin/makedumpfile
}
pack() { (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 >"$2"; }

# The project's files installed by `make install-files` into a scratch root, and the node's
# settings as the operator's guide says to write them.
installed=$work/installed
install_project() { # into $installed, as `make install` installs it; and the node's settings
    make -s -C "$root" install-files DESTDIR="$installed" PREFIX=/usr BUILD="$BUILD" SENDER="$SENDER" >/dev/null
    printf '%s\n' 'NODES="10.0.2.2"' "ARGS=\"-i 1 -p $port\"" "KEY=\"$CACHE/authkey\"" 'NODE_NAME="kwvm1"' \
        'CLUSTER_NAME="kw-e2e"' 'BROADCAST="no"' >"$work/kdump-watch-send.conf"
}
check_listing() { # listing-file: what the image holds of ours, and the key's mode
    local ours
    ours=$(awk '/kdump-watch/ && $1 ~ /^-/ { sum += $5 } END { print sum }' "$1")
    grep -q -- '-rw-------.* etc/kdump-watch/authkey$' "$1" || fail "no 0600 key in the capture image"
    echo "$ours"
}
# dracut: as kdump-utils' mkdumprd runs it, from a copy of the system's modules with ours
# installed by `make install-files` and the test's stand-in for kdumpbase.
dracut_capture() { # output
    local base=$work/dracut ours
    install_project
    cp -a /usr/lib/dracut "$base"
    cp -a "$installed/usr/lib/dracut/modules.d/99kdump-watch" "$here/99kw-dump" "$base/modules.d/"
    dracutbasedir=$base KDUMP_CONF=/nonexistent KDUMP_WATCH_SEND=$installed/usr/sbin/kdump-watch-send \
        KDUMP_WATCH_SEND_CONF=$work/kdump-watch-send.conf KDUMP_WATCH_CTL=$installed/usr/sbin/kdump-watchctl \
        KDUMP_WATCH_COROSYNC_CONF=/nonexistent/corosync.conf \
        dracut --no-hostonly --no-hostonly-cmdline -m "systemd-initrd dracut-systemd base kdump-watch kw-dump network rootfs-block kernel-modules" \
        --add-drivers "virtio_pci virtio_net virtio_blk ext4" --kver "$kernel_version" --tmpdir "$work" -f "$1" \
        >"$work/dracut.log" 2>&1 || { tail -n 30 "$work/dracut.log" >&2; fail "dracut failed"; }
    lsinitrd "$1" >"$work/capture.list"
    ours=$(check_listing "$work/capture.list")
    phase "dracut: built the capture initramfs ($(du -b "$1" | cut -f 1) bytes compressed; our files $ours bytes)"
}


build_node_image() { # case
    local key
    key=$(cat "$here/guest-init.sh" "$here/node-image.sh" "$SENDER" "$KERNEL" "$(command -v busybox)" "$(command -v kexec)" \
        "$(command -v makedumpfile)" "$root/etc/kdump-watch-capture.sh" "$CACHE/authkey" | sha256sum | cut -c 1-16)
    image=$CACHE/initramfs-$key.cpio.gz
    if [ "$1" != handmade ]; then
        # Built every time: it holds this run's port.
        image=$work/node.cpio.gz
        rm -rf "$work/node"
        capture_tree "$work/node"
        dracut_capture "$work/node/boot/capture.cpio.gz"
        # The dump target, an empty ext4 disk, is the root that dracut mounts before pre-pivot.
        truncate -s 64M "$work/kwvm1.disk"
        mkfs.ext4 -q -F "$work/kwvm1.disk"
        echo "root=/dev/vda rw rd.neednet=1 ip=dhcp" >"$work/node/boot/capture.append"
        install -m 0644 "$KERNEL" "$work/node/boot/vmlinuz"
        copy_program "$(command -v kexec)" "$work/node" /sbin/kexec
        pack "$work/node" "$image"
        rm -rf "$work/node"
    elif [ -s "$image" ]; then
        phase "initramfs: cached $image"
    else
        rm -rf "$work/capture" "$work/node"
        capture_tree "$work/capture"
        capture_tree "$work/node"
        pack "$work/capture" "$work/node/boot/capture.cpio.gz"
        install -m 0644 "$KERNEL" "$work/node/boot/vmlinuz"
        copy_program "$(command -v kexec)" "$work/node" /sbin/kexec
        pack "$work/node" "$image.tmp" && mv "$image.tmp" "$image"
        rm -rf "$work/capture" "$work/node"
        phase "initramfs: built $image ($(du -h "$image" | cut -f 1))"
    fi
}
