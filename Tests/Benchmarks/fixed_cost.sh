#!/usr/bin/env bash
# Issue 8's fixed-cost check: the whole `srcnn upscale` process of a 512² grey PNG to 1024² against the forward pass
# alone (`srcnn bench` on 1024²), alternated in one run; exits 1 when the median ratio is not below the limit.
#   Tests/Benchmarks/fixed_cost.sh [ROUNDS]        (SRCNN=path/to/srcnn to time another binary; LIMIT=1.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-7}
LIMIT=${LIMIT:-1.1}
BIN=${SRCNN:-$(swift build -c release --show-bin-path)/srcnn}
WEIGHTS=Weights/srcnn-x2.safetensors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The input: Set5's baby (512x512) in grey when ../shared is here, else 512x512 noise.
baby=../shared/data/Set5/baby_GT.png
if [[ -f $baby ]]; then
  vips colourspace "$baby" "$tmp/in.png" b-w
else
  echo "note: $baby not found, timing a 512x512 noise image"
  vips gaussnoise "$tmp/in.png" 512 512 --mean 128 --sigma 40
fi
vipsheader "$tmp/in.png"
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/\(Flags: *\).*\(avx512f\).*/\1... \2 .../'
echo "binary: $BIN ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"

now() { date +%s.%N; }
forward=() whole=()
for ((r = 1; r <= ROUNDS; r++)); do
  f=$("$BIN" bench --sizes 1024 --weights "$WEIGHTS" --repeats 3 --json --quiet | sed -n 's/.*"seconds": \([0-9.e-]*\),.*/\1/p')
  t0=$(now)
  "$BIN" upscale "$tmp/in.png" "$tmp/out.png" --scale 2 --weights "$WEIGHTS" --quiet
  t1=$(now)
  w=$(echo "$t1 - $t0" | bc -l)
  printf 'round %d: forward alone %.3f s, whole process %.3f s, ratio %.3f\n' "$r" "$f" "$w" "$(echo "$w / $f" | bc -l)"
  forward+=("$f") whole+=("$w")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mf=$(median "${forward[@]}") mw=$(median "${whole[@]}")
ratio=$(echo "$mw / $mf" | bc -l)
printf 'median: forward alone %.3f s, whole process %.3f s, ratio %.3f (limit %s)\n' "$mf" "$mw" "$ratio" "$LIMIT"
vipsheader "$tmp/out.png"
if (( $(echo "$ratio < $LIMIT" | bc -l) )); then echo PASS; else echo "FAIL: ratio $ratio >= $LIMIT"; exit 1; fi
