# shellcheck shell=bash disable=SC2154 # root, here and work are the caller's (below)
# The end-to-end test's node image (sourced by run.sh): a busybox root with the guest kernel,
# kexec and, in /boot, the handmade capture initramfs. Apart from the scenarios so that each can
# grow on its own.
#
# The caller sets root, here, BUILD, SENDER, CACHE, KERNEL and work, and defines fail and phase.
# build_node_image sets image to the node's initramfs, cached by the hash of everything in it.

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

build_node_image() {
    local key
    key=$(cat "$here/guest-init.sh" "$here/node-image.sh" "$SENDER" "$KERNEL" "$(command -v busybox)" "$(command -v kexec)" \
        "$(command -v makedumpfile)" "$root/etc/kdump-watch-capture.sh" "$CACHE/authkey" | sha256sum | cut -c 1-16)
    image=$CACHE/initramfs-$key.cpio.gz
    if [ -s "$image" ]; then
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
