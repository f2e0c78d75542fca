#!/usr/bin/env bash
# Issue 9's speed check: the whole `srcnn upscale` of a 3000x2000 photo x3 with FSRCNN against SRCNN 9-5-5, the two
# alternated in one run; prints each round, the medians and the ratio, and exits 1 when it is below LIMIT (10).
#   Tests/Benchmarks/fsrcnn_vs_srcnn.sh [ROUNDS] [FORMAT]   (SRCNN=path/to/srcnn, FSRCNN_WEIGHTS=file, LIMIT=10;
#   FORMAT png (default), tif or jpg: the output file's format). Unset OPENBLAS_* only for a benchmark run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
FORMAT=${2:-png}
LIMIT=${LIMIT:-10}
BIN=${SRCNN:-$(swift build -c release --show-bin-path)/srcnn}
FW=${FSRCNN_WEIGHTS:-Weights/fsrcnn-x3.safetensors}
[[ -f $FW ]] || FW=Weights/training/fsrcnn-x3-lr4.safetensors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/\(Flags: *\).*\(avx512f\).*/\1... \2 .../'
echo "binary: $BIN ($(git rev-parse --short HEAD 2>/dev/null || echo '?')); FSRCNN weights: $FW; output .$FORMAT"
# The photo: B100's img_004 enlarged 6.25x and cut to 3000x2000 (as in estimate.sh).
photo=../shared/data/B100/img_004.png
[[ -f $photo ]] || { echo "missing $photo (../shared/data)" >&2; exit 1; }
vips resize "$photo" "$tmp/big.v" 6.25
vips crop "$tmp/big.v" "$tmp/photo.png" 0 0 3000 2000

now() { date +%s.%N; }
run() {  # run NAME ARGS...: prints the wall seconds
  local t0 t1
  t0=$(now)
  "$BIN" upscale "$tmp/photo.png" "$tmp/out.$FORMAT" --scale 3 --quiet "$@"
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
slow=() fast=()
for ((r = 1; r <= ROUNDS; r++)); do
  s=$(run --weights Weights/srcnn-x3.safetensors)
  f=$(run --weights "$FW")
  printf 'round %d: SRCNN 9-5-5 %.2f s, FSRCNN %.2f s, ratio %.2f\n' "$r" "$s" "$f" "$(echo "$s / $f" | bc -l)"
  slow+=("$s") fast+=("$f")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ms=$(median "${slow[@]}") mf=$(median "${fast[@]}")
ratio=$(echo "$ms / $mf" | bc -l)
printf 'median: SRCNN 9-5-5 %.2f s, FSRCNN %.2f s, ratio %.2f (limit %s)\n' "$ms" "$mf" "$ratio" "$LIMIT"
vipsheader "$tmp/out.$FORMAT"
if (( $(echo "$ratio >= $LIMIT" | bc -l) )); then echo PASS; else echo "FAIL: ratio $ratio < $LIMIT"; exit 1; fi
