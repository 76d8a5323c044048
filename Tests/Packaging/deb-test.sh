#!/bin/sh
# dpkg-query's formats are in single quotes on purpose.
# shellcheck disable=SC2016
# make package-test, the Debian half (root): builds the .deb twice (the second with a higher
# version), runs lintian, then installs, upgrades, removes and purges it in a Debian 12 chroot
# that debootstrap makes, checking at each step where the files are and what stays.
set -eu
cd "$(dirname "$0")/../.."
out=.build-deb
version=$(dpkg-parsechangelog -S Version)
make deb
make deb KDUMP_WATCH_DEB_VERSION="$version+1"
first=$out/kdump-watch_${version}_amd64.deb
second=$out/kdump-watch_${version}+1_amd64.deb

step() { echo "deb-test: $*"; }
fail() {
    echo "deb-test: FAILED: $*" >&2
    exit 1
}

step "lintian $(lintian --version | cut -d' ' -f2) on $first (errors, warnings and info; overrides shown as O:)"
lintian -I --show-overrides --fail-on error,warning,info "$first" | grep -v 'running with root privileges' || true
lintian -I --fail-on error,warning,info "$first" >/dev/null 2>&1 || fail "lintian has findings"
step "lintian: clean"
step "$(dpkg-deb -f "$first" Package Version Depends Installed-Size | tr '\n' ' ')"
step "size: $(stat -c %s "$first") bytes"
dpkg-deb -c "$first" | awk '{ printf "  %s %10s %s\n", $1, $3, $6 }'

mkdir -p .build-chroot
root=$(mktemp -d "$PWD/.build-chroot/bookworm-XXXXXX")
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
step "debootstrap --variant=minbase bookworm"
debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 ||
    { cat "$root.log"; fail "debootstrap"; }
rm -f "$root.log"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
cp "$first" "$second" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# -L too: an enablement symlink points at /lib/..., which resolves outside the chroot.
exists() { for path; do [ -e "$root$path" ] || [ -L "$root$path" ] || fail "$path is missing"; done; }
absent() { for path; do if [ -e "$root$path" ] || [ -L "$root$path" ]; then fail "$path is still there"; fi; done; }

step "install $(basename "$first")"
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$first")" </dev/null >/dev/null
# Where the operator's guide says.
exists /usr/sbin/kdump-watchd /usr/sbin/kdump-watchctl /usr/sbin/fence_kdump_watch /usr/sbin/kdump-watch-send \
    /lib/systemd/system/kdump-watchd.service /lib/systemd/system/kdump-watchd.socket \
    /lib/systemd/system/kdump-watch-rebuild.path /lib/systemd/system/kdump-watch-rebuild.service \
    /usr/libexec/kdump-watch/kdump-watch-rebuild \
    /lib/systemd/system/kdump-tools-dump.service.d/kdump-watch.conf /usr/libexec/kdump-watch/kdump-watch-report \
    /usr/share/man/man8/kdump-watchd.8.gz /usr/share/man/man8/kdump-watchctl.8.gz \
    /usr/share/man/man8/fence_kdump_watch.8.gz /usr/share/man/man8/kdump-watch-send.8.gz \
    /usr/share/man/man5/kdump-watchd.conf.5.gz \
    /usr/lib/dracut/modules.d/99kdump-watch/module-setup.sh \
    /usr/share/initramfs-tools/hooks/kdump-watch /usr/share/initramfs-tools/scripts/init-premount/kdump-watch \
    /etc/initramfs-tools/conf.d/kdump-watch /etc/kdump-watch/kdump-watchd.conf /etc/kdump-watch/kdump-watch-send.conf \
    /usr/share/kdump-watch/prometheus/kdump-watch.rules.yml /usr/share/doc/kdump-watch/copyright
# Enabled the Debian way (deb-systemd-helper), not started: systemd is not PID 1 here.
exists /etc/systemd/system/sockets.target.wants/kdump-watchd.socket \
    /etc/systemd/system/multi-user.target.wants/kdump-watchd.service \
    /etc/systemd/system/paths.target.wants/kdump-watch-rebuild.path
# postinst ran the rebuild: no kdump service here, so it built nothing and recorded the settings.
exists /var/lib/kdump-watch/capture-image.settings
for conffile in /etc/kdump-watch/kdump-watchd.conf /etc/kdump-watch/kdump-watch-send.conf /etc/initramfs-tools/conf.d/kdump-watch; do
    in_root dpkg-query -W -f='${Conffiles}\n' kdump-watch | grep -q " $conffile " || fail "$conffile is not a conffile"
done
# Hooks reach the installed sender, not a build tree.
grep -q '/usr/sbin/kdump-watch-send' "$root/usr/share/initramfs-tools/hooks/kdump-watch" || fail "hook path"
# The executables run on a node without Swift.
[ ! -e "$root/usr/lib/swift" ] || fail "Swift in the chroot"
in_root kdump-watchd --version | grep -qx "$version" || fail "kdump-watchd --version"
in_root fence_kdump_watch -o metadata | grep -q '<vendor-url>https://github.com/kdumpwatch/kdumpwatch</vendor-url>' ||
    fail "agent metadata"

step "a real state file: the installed daemon records a message from the installed sender"
mkdir -p "$root/run/kdump-watch"
chroot "$root" /usr/sbin/kdump-watchd --port 0 >"$root/tmp/daemon.log" 2>&1 &
daemon=$!
port=""
for _ in $(seq 100); do
    port=$(in_root kdump-watchctl health --json 2>/dev/null | sed -n 's/.*"udp":\[{"address":"[^"]*","port":\([0-9]*\)}.*/\1/p')
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$root/tmp/daemon.log"; fail "daemon did not start"; }
in_root kdump-watch-send -p "$port" -c 1 127.0.0.1 >/dev/null
for _ in $(seq 100); do
    in_root kdump-watchctl status --json | grep -q '"address":"127.0.0.1"' && break
    sleep 0.1
done
kill -TERM "$daemon"
wait "$daemon" || fail "daemon exit status $?"
grep -q '127.0.0.1' "$root/var/lib/kdump-watch/state.json" || fail "state file"
state=$(md5sum <"$root/var/lib/kdump-watch/state.json")

step "edit a conffile, then upgrade to $(basename "$second")"
echo "max_age = 45s" >>"$root/etc/kdump-watch/kdump-watchd.conf"
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$second")" </dev/null >/dev/null
[ "$(in_root dpkg-query -W -f='${Version}' kdump-watch)" = "$version+1" ] || fail "not upgraded"
grep -qx 'max_age = 45s' "$root/etc/kdump-watch/kdump-watchd.conf" || fail "the edited conffile was replaced"
absent /etc/kdump-watch/kdump-watchd.conf.dpkg-new /etc/kdump-watch/kdump-watchd.conf.dpkg-old
[ "$(md5sum <"$root/var/lib/kdump-watch/state.json")" = "$state" ] || fail "the state file changed"

step "remove"
in_root dpkg -r kdump-watch >/dev/null
absent /usr/sbin/kdump-watchd /lib/systemd/system/kdump-watchd.service /usr/lib/dracut/modules.d/99kdump-watch
exists /etc/kdump-watch/kdump-watchd.conf /var/lib/kdump-watch/state.json
grep -qx 'max_age = 45s' "$root/etc/kdump-watch/kdump-watchd.conf" || fail "remove changed the conffile"
[ "$(in_root dpkg-query -W -f='${Status}' kdump-watch)" = "deinstall ok config-files" ] || fail "status after remove"

step "purge"
in_root dpkg -P kdump-watch >/dev/null
absent /etc/kdump-watch /var/lib/kdump-watch /run/kdump-watch /etc/initramfs-tools/conf.d/kdump-watch \
    /etc/systemd/system/sockets.target.wants/kdump-watchd.socket \
    /etc/systemd/system/multi-user.target.wants/kdump-watchd.service \
    /etc/systemd/system/paths.target.wants/kdump-watch-rebuild.path
if in_root dpkg-query -W kdump-watch >/dev/null 2>&1; then fail "still known to dpkg"; fi
step "passed: install, upgrade (edited conffile and state kept), remove (kept), purge (gone)"
