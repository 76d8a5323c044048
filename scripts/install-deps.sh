#!/bin/sh
# Installs the Debian packages the build and the tests need; does nothing when they are there.
#   scripts/install-deps.sh build    what `swift build` needs
#   scripts/install-deps.sh test     that, plus the interoperability tests' tools
#   scripts/install-deps.sh e2e      that, plus the virtual machines of the end-to-end test
#   scripts/install-deps.sh bench    what `swift build` needs, plus OpenSSL for the C references
#   scripts/install-deps.sh deb      what `swift build` needs, plus debhelper and lintian (make deb)
#   scripts/install-deps.sh rpm      what `swift build` needs, plus rpmbuild and rpmlint (make rpm)
#   scripts/install-deps.sh package  both, plus debootstrap (make package-test)
set -eu
packages="pkg-config libsystemd-dev nettle-dev"
case "${1:-build}" in
    build) ;;
    bench) packages="$packages libssl-dev" ;;
    deb) packages="$packages debhelper dpkg-dev lintian" ;;
    rpm) packages="$packages rpm rpm2cpio cpio rpmlint" ;;
    package) packages="$packages debhelper dpkg-dev lintian rpm rpm2cpio cpio rpmlint debootstrap" ;;
    test | e2e)
        # A kernel's modules: mkinitramfs builds the readiness tests' kdump-tools image for it.
        # valgrind hides the CPU's SHA extensions from the embedded sender's SHA-256, so that
        # both of its compression functions are tested on any CPU (SenderEmbeddedBuildTests).
        packages="$packages libxml2-utils pacemaker pacemaker-cli-utils dracut-core initramfs-tools-core shellcheck strace prometheus pcs fence-agents linux-image-cloud-amd64 valgrind"
        if [ "$1" = e2e ]; then
            packages="$packages qemu-system-x86 kexec-tools makedumpfile busybox-static cpio dracut-network e2fsprogs debootstrap iproute2 debhelper dpkg-dev lintian"
        fi
        ;;
    *)
        echo "install-deps: unknown set '$1' (build, test, e2e, bench, deb, rpm, package)" >&2
        exit 2
        ;;
esac
missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run as root or install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
