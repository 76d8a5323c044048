#!/bin/sh
# Unpacks upstream fence-agents (Debian's fence-agents package: fence_kdump, fence_kdump_send and
# the fence-agents metadata schema) into a directory of the repository, for the interoperability
# tests and the side-by-side benchmarks. Nothing is installed on the machine.
#
#   scripts/reference-agents.sh [DIR]     (default: .build-reference)
#
# Prints shell assignments for `eval`:
#   FENCE_KDUMP=PATH  FENCE_KDUMP_SEND=PATH  FENCE_AGENTS_SCHEMA=PATH
# Runs again in no time once DIR holds the unpacked package.
set -eu
directory=${1:-.build-reference}
mkdir -p "$directory"
directory=$(cd "$directory" && pwd)
root="$directory/root"
agent="$root/usr/sbin/fence_kdump"
sender="$root/usr/libexec/fence-agents/fence_kdump_send"
schema="$root/usr/share/cluster/relaxng/metadata.rng"

if [ ! -x "$agent" ] || [ ! -x "$sender" ] || [ ! -f "$schema" ]; then
    package=$(ls "$directory"/fence-agents_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$package" ]; then
        # apt-get download needs package lists; fetch them once if there are none, or if the
        # ones there are too old to know the current version.
        if [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ]; then
            apt-get update -qq >&2
        fi
        (cd "$directory" && apt-get download -qq fence-agents >&2 2>/dev/null) ||
            { apt-get update -qq >&2 && (cd "$directory" && apt-get download -qq fence-agents >&2); }
        package=$(ls "$directory"/fence-agents_*.deb | head -n 1)
    fi
    rm -rf "$root"
    dpkg-deb -x "$package" "$root"
fi
for file in "$agent" "$sender" "$schema"; do
    [ -e "$file" ] || { echo "reference-agents: $file is missing from the fence-agents package" >&2; exit 1; }
done
echo "FENCE_KDUMP=$agent"
echo "FENCE_KDUMP_SEND=$sender"
echo "FENCE_AGENTS_SCHEMA=$schema"
