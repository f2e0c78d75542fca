#!/usr/bin/env bash
# PNG encoding time and size of one image under libvips' zlib levels and row filters (what CVipsIO's PNG writer
# uses is chosen from this): bash Tests/Benchmarks/png_settings.sh IMAGE
set -euo pipefail
IMG=${1:?usage: png_settings.sh IMAGE}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
lscpu | grep -E 'Model name|^CPU\(s\)'
vips copy "$IMG" "$T/in.v"; vipsheader "$T/in.v"
for opt in compression=3 compression=1,filter=up compression=3,filter=up compression=1,filter=sub \
           compression=6 compression=6,filter=all; do
  /usr/bin/time -f "%e" -o "$T/t" vips copy "$T/in.v" "$T/o.png[$opt]"
  printf '%-28s %6.2f s %8.1f MB\n' "$opt" "$(cat "$T/t")" "$(echo "$(stat -c %s "$T/o.png") / 1048576" | bc -l)"
done
