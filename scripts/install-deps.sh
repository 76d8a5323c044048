#!/bin/sh
# Installs the Debian packages the build and the tests need; does nothing when they are there.
#   scripts/install-deps.sh build    what `swift build` needs
#   scripts/install-deps.sh test     that, plus the interoperability tests' tools
set -eu
packages="pkg-config libsystemd-dev"
if [ "${1:-build}" = test ]; then
    packages="$packages libxml2-utils pacemaker pacemaker-cli-utils dracut-core initramfs-tools-core shellcheck"
fi
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
