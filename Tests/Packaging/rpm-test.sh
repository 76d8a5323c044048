#!/bin/sh
# make package-test, the RPM half: builds the RPM twice (the second a higher release), runs
# rpmlint on it and the spec, checks its file list against the operator's guide and against
# fence-agents-kdump's files, then installs, upgrades and erases it in an empty RPM root
# (--noscripts: that root has no shell; the scriptlets are checked as text).
set -eu
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^Version: *//p' packaging/kdump-watch.spec)
rpms=.build-rpm/RPMS/x86_64
make rpm
make rpm KDUMP_WATCH_RPM_RELEASE=2
first=$rpms/kdump-watch-$version-1.x86_64.rpm
second=$rpms/kdump-watch-$version-2.x86_64.rpm

step() { echo "rpm-test: $*"; }
fail() {
    echo "rpm-test: FAILED: $*" >&2
    exit 1
}

step "$(rpmlint --version 2>/dev/null | head -n1 | sed 's/^/rpmlint /') on $first and the spec"
lint=$(rpmlint -c packaging/rpmlint.toml "$first" packaging/kdump-watch.spec 2>&1) || { echo "$lint"; fail "rpmlint"; }
echo "$lint" | tail -n 1
echo "$lint" | grep -q ' 0 errors, 0 warnings, 0 badness' || { echo "$lint"; fail "rpmlint has findings"; }
step "size: $(stat -c %s "$first") bytes; $(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}, %{SIZE} bytes installed' "$first")"
rpm -qlpv "$first" | awk '{ printf "  %s %10s %s\n", $1, $5, $9 }'

files=$(rpm -qlp "$first")
has() { for path; do echo "$files" | grep -qx "$path" || fail "$path is not in the package"; done; }
has /usr/sbin/kdump-watchd /usr/sbin/kdump-watchctl /usr/sbin/fence_kdump_watch /usr/sbin/kdump-watch-send \
    /usr/lib/systemd/system/kdump-watchd.service /usr/lib/systemd/system/kdump-watchd.socket \
    /usr/lib/systemd/system/kdump-watch-rebuild.path /usr/lib/systemd/system/kdump-watch-rebuild.service \
    /usr/libexec/kdump-watch/kdump-watch-rebuild \
    /usr/lib/dracut/modules.d/99kdump-watch/module-setup.sh \
    /usr/lib/dracut/modules.d/99kdump-watch/kdump-watch-send.sh \
    /usr/lib/dracut/modules.d/99kdump-watch/kdump-watch-post.sh \
    /usr/share/man/man8/kdump-watchd.8.gz /usr/share/man/man8/kdump-watchctl.8.gz \
    /usr/share/man/man8/fence_kdump_watch.8.gz /usr/share/man/man8/kdump-watch-send.8.gz \
    /usr/share/man/man5/kdump-watchd.conf.5.gz \
    /etc/kdump-watch/kdump-watchd.conf /etc/kdump-watch/kdump-watch-send.conf \
    /usr/share/kdump-watch/prometheus/kdump-watch.rules.yml "/usr/share/licenses/kdump-watch-$version/LICENSE"
# fence-agents-kdump's files (RHEL 9: fence_kdump, fence_kdump_send and their pages): none is
# ours, so both packages install side by side. Nor anything of Debian's initramfs-tools.
for path in /usr/sbin/fence_kdump /usr/libexec/fence_kdump_send /usr/share/man/man8/fence_kdump.8.gz \
    /usr/share/man/man8/fence_kdump_send.8.gz; do
    if echo "$files" | grep -qx "$path"; then fail "$path belongs to fence-agents-kdump"; fi
done
if echo "$files" | grep -q 'initramfs-tools\|kdump-watch-report\|kdump-tools-dump'; then fail "Debian-only files"; fi
[ "$(rpm -qcp "$first")" = "/etc/kdump-watch/kdump-watch-send.conf
/etc/kdump-watch/kdump-watchd.conf" ] || fail "config files: $(rpm -qcp "$first")"
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$first" | grep -qx 'cn /etc/kdump-watch/kdump-watchd.conf' ||
    fail "kdump-watchd.conf is not %config(noreplace)"
scripts=$(rpm -qp --scripts "$first")
echo "$scripts" | grep -q 'systemctl --no-reload preset kdump-watchd.socket kdump-watchd.service' || fail "%post"
echo "$scripts" | grep -q 'systemctl --no-reload disable --now kdump-watchd.service kdump-watchd.socket' || fail "%preun"
echo "$scripts" | grep -q 'systemctl try-restart kdump-watchd.service' || fail "%postun"
echo "$scripts" | grep -q 'preset kdump-watchd.socket kdump-watchd.service kdump-watch-rebuild.path' || fail "%post: the path unit"
# %posttrans runs the package's kdump-watch-rebuild; here the one from the payload, as sh runs
# it, with stand-ins for kdumpctl, which records what it is asked, and systemctl, which answers
# as the case says: kdump enabled and running, enabled and stopped, not enabled, kdumpctl
# absent, a rebuild that fails. No settings: the image would carry no node and no key.
posttrans=$(rpm -qp --qf '%{POSTTRANS}' "$first")
echo "$posttrans" | grep -qx '/usr/libexec/kdump-watch/kdump-watch-rebuild >/dev/null || :' || fail "%posttrans: $posttrans"
standins=$(mktemp -d)
mkdir "$standins/bin" "$standins/none" "$standins/payload"
rpm2cpio "$first" | (cd "$standins/payload" && cpio -idm --quiet ./usr/libexec/kdump-watch/kdump-watch-rebuild \
    ./usr/share/kdump-watch/kdump-watch-nodes.sh)
cat >"$standins/bin/systemctl" <<'EOF'
#!/bin/sh
# systemctl [-q] is-enabled|is-active kdump.service, answered from KW_KDUMP_STATE.
[ "$1" = -q ] && shift
[ "$2" = kdump.service ] || exit 4
case "$1 $KW_KDUMP_STATE" in "is-enabled enabled"* | "is-active enabled active") exit 0 ;; esac
exit 1
EOF
cat >"$standins/bin/kdumpctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$KW_CALLS"
exit "$KW_KDUMPCTL_STATUS"
EOF
cp "$standins/bin/systemctl" "$standins/none/systemctl"
chmod 0755 "$standins/bin/systemctl" "$standins/bin/kdumpctl" "$standins/none/systemctl"
posttrans_case() { # KDUMP-STATE KDUMPCTL-STATUS|absent EXIT EXPECTED-CALLS [EXPECTED-ERROR]
    bin=$standins/bin
    [ "$2" = absent ] && bin=$standins/none
    : >"$standins/calls"
    status=0
    message=$(PATH="$bin:/usr/bin:/bin" KW_KDUMP_STATE="$1" KW_CALLS="$standins/calls" KW_KDUMPCTL_STATUS="$2" \
        KDUMP_WATCH_NODES_SH="$standins/payload/usr/share/kdump-watch/kdump-watch-nodes.sh" \
        KDUMP_WATCH_STATE_DIR="$standins/state" KDUMP_WATCH_REBUILD_LOCK="$standins/lock" \
        KDUMP_TOOLS_KERNEL_HOOK=/nonexistent KDUMP_CONF=/nonexistent KDUMP_WATCH_SEND_CONF=/nonexistent \
        KDUMP_WATCH_DEFAULT_KEY=/nonexistent \
        sh "$standins/payload/usr/libexec/kdump-watch/kdump-watch-rebuild" 2>&1 >/dev/null) || status=$?
    [ "$status" = "$3" ] || fail "kdump-watch-rebuild ($1, kdumpctl $2) exited $status, not $3"
    calls=$(tr '\n' ' ' <"$standins/calls")
    [ "$calls" = "$4" ] || fail "kdump-watch-rebuild ($1, kdumpctl $2) called kdumpctl '$calls', not '$4'"
    [ "$message" = "${5:-}" ] || fail "kdump-watch-rebuild ($1, kdumpctl $2) said '$message'"
}
posttrans_case "enabled active" 0 0 "rebuild reload "
posttrans_case "enabled inactive" 0 0 "rebuild "
posttrans_case "disabled" 0 0 ""
posttrans_case "enabled active" absent 0 ""
posttrans_case "enabled active" 1 1 "rebuild " "kdump-watch: could not rebuild the kdump image; run kdumpctl rebuild"
rm -rf "$standins"
step "%posttrans (kdump-watch-rebuild) rebuilds and reloads kdump-utils' image only where kdump is enabled"
# The sender links Nettle statically (Embedded Swift, glibc only): nothing asks for libnettle.
! rpm -qp --requires "$first" | grep -q 'libnettle' || fail "libnettle is required; the sender links it statically"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
step "install, edit a config file, upgrade, erase in an empty RPM root"
rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps --noscripts "$first"
[ -x "$root/usr/sbin/kdump-watchd" ] || fail "not installed"
echo "max_age = 45s" >>"$root/etc/kdump-watch/kdump-watchd.conf"
rpm --root "$root" -U --nodeps --noscripts "$second"
[ "$(rpm --root "$root" -q --qf '%{RELEASE}' kdump-watch)" = 2 ] || fail "not upgraded"
grep -qx 'max_age = 45s' "$root/etc/kdump-watch/kdump-watchd.conf" || fail "the upgrade replaced the edited config"
rpm --root "$root" -e --nodeps --noscripts kdump-watch
[ ! -e "$root/usr/sbin/kdump-watchd" ] || fail "not erased"
grep -qx 'max_age = 45s' "$root/etc/kdump-watch/kdump-watchd.conf.rpmsave" || fail "the edited config was not saved"
step "passed"
