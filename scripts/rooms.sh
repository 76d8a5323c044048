#!/bin/sh
# Prints the package's rooms: every module, and the daemon's folders, with their files and lines
# of Swift (Documentation/architecture.md shows its output). Usage: scripts/rooms.sh
set -eu
cd "$(dirname "$0")/.."
echo "| room | files | lines |"
echo "|---|---|---|"
for module in Sources/Kdump*; do
    if [ "$module" = Sources/KdumpWatchDaemon ]; then
        for folder in "$module"/*/; do
            folder=${folder%/}
            files=$(find "$folder" -name '*.swift' | wc -l)
            lines=$(find "$folder" -name '*.swift' -exec cat {} + | wc -l)
            echo "| \`KdumpWatchDaemon/${folder##*/}\` | $files | $lines |"
        done
    else
        files=$(find "$module" -name '*.swift' | wc -l)
        [ "$files" -gt 0 ] || continue
        lines=$(find "$module" -name '*.swift' -exec cat {} + | wc -l)
        echo "| \`${module#Sources/}\` | $files | $lines |"
    fi
done
