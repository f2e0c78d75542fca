#!/usr/bin/env bash
# The FMA peak of this CPU, per core and with every core busy (one copy of fma_peak.c per core, summed): the
# denominator of "% of peak" for the kernel families. Prints lscpu's model line first.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 fma_peak.c -o "$tmp/fma_peak"
lscpu | grep -E 'Model name|^CPU\(s\)|Model:|CPU family'
echo "one core:"; "$tmp/fma_peak"
n=$(nproc)
for ((i = 0; i < n; i++)); do "$tmp/fma_peak" > "$tmp/out$i" & done
wait
echo "all $n cores (sum):"
cat "$tmp"/out* | awk -F': ' '{split($2, v, " "); s[$1] += v[1]} END {for (k in s) printf "%s: %.1f GFLOP/s\n", k, s[k]}'
