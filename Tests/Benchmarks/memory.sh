#!/usr/bin/env bash
# Peak memory and wall time of `srcnn upscale` and of the GIMP plug-in's own process, on generated images.
#   bash Tests/Benchmarks/memory.sh [--quick]   (after `swift build -c release`; needs libvips-tools for
#   the test images and gimp-console for the plug-in part; prints the CPU first)
set -euo pipefail
cd "$(dirname "$0")/../.."
QUICK=no; [ "${1:-}" = --quick ] && QUICK=yes
command -v vips >/dev/null || { apt-get install -y -qq libvips-tools >/dev/null; }
BIN="$(swift build -c release --show-bin-path)"
S="$BIN/srcnn"
T="$(mktemp -d /tmp/srcnn-memory-XXXXXX)"
trap 'rm -rf "$T"' EXIT
lscpu | grep -E 'Model name|^CPU\(s\)'

# Noise images (incompressible enough to be realistic for PNG/zlib cost): grey 512², RGB 3000x2000, 8000x6000.
img() {  # img NAME W H BANDS
  vips gaussnoise "$T/n.v" "$2" "$3" --sigma 50 --mean 128
  if [ "$4" = 3 ]; then vips bandjoin "$T/n.v $T/n.v $T/n.v" "$T/b.v"; else cp "$T/n.v" "$T/b.v"; fi
  vips cast "$T/b.v" "$T/$1" uchar
  rm -f "$T/n.v" "$T/b.v"
}
img g8.png 8 8 1; img g512.png 512 512 1; img rgb3000.png 3000 2000 3
[ "$QUICK" = yes ] || img rgb8000.png 8000 6000 3

run() {  # run LABEL ARGS...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
  read -r secs kb <"$T/time"
  printf '%-34s %8.2f s %8d MB\n' "$label" "$secs" "$((kb / 1024))"
}
echo "CLI (srcnn upscale, whole process):"
run "8x8 PNG x2" "$S" upscale "$T/g8.png" "$T/o.png" -q
for i in 1 2 3; do run "512² grey PNG -> 1024² (run $i)" "$S" upscale "$T/g512.png" "$T/o.png" -q; done
"$S" bench --sizes 1024 --arch 9-5-5 --quiet | tail -1 | awk '{printf "forward pass alone (srcnn bench 9-5-5 1024²): %.2f MP/s = %.3f s\n", $3, 1.048576 / $3}'
run "3000x2000 RGB PNG x2" "$S" upscale "$T/rgb3000.png" "$T/o.png" -q
[ "$QUICK" = yes ] || run "8000x6000 RGB PNG x2 (192 MP out)" "$S" upscale "$T/rgb8000.png" "$T/o.png" -q
rm -f "$T/o.png"

GIMP=$(command -v gimp-console || true)
[ -n "$GIMP" ] || { echo "no gimp-console: plug-in part skipped"; exit 0; }
P="$T/profile"; mkdir -p "$P/plug-ins/srcnn-upscale/weights"
GIMP2_DIRECTORY="$P" "$GIMP" -i -b '(gimp-quit 0)' >/dev/null 2>&1 || true
cp "$BIN/srcnn-upscale" "$BIN/libSRCNNGimp.so" "$P/plug-ins/srcnn-upscale/"
cp Weights/*.safetensors "$P/plug-ins/srcnn-upscale/weights/"
# gimp_plugin PEAKVAR COMMANDS: runs headless GIMP, samples VmHWM of the plug-in process and of GIMP.
plugin() {
  local label=$1 cmd=$2
  GIMP2_DIRECTORY="$P" "$GIMP" -i -d -f -b "$cmd" -b '(gimp-quit 0)' >"$T/gout" 2>&1 &
  local gpid=$! peak=0 gpeak=0 start=$SECONDS
  while kill -0 $gpid 2>/dev/null; do
    for pid in $(pgrep -f 'plug-ins/srcnn-upscale/srcnn-upscale' || true); do
      v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0); [ "${v:-0}" -gt $peak ] && peak=$v
    done
    for pid in $(pgrep -f "^[^ ]*gimp-console" || true); do
      v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0); [ "${v:-0}" -gt $gpeak ] && gpeak=$v
    done
    sleep 0.2
  done
  grep -q "execution error" "$T/gout" && { cat "$T/gout"; exit 1; }
  printf '%-34s %8d s   plug-in %5d MB   GIMP %5d MB\n' "$label" $((SECONDS - start)) $((peak / 1024)) $((gpeak / 1024))
}
echo "GIMP plug-in (headless, peak RSS of its own process and of GIMP's):"
up() { echo "(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$1\" \"$1\"))) (d (car (gimp-image-get-active-drawable img))))
  $2 (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d 2.0 \"\" $3))"; }
three="(let loop ((i 0)) (if (< i 2) (let ((l (car (gimp-layer-copy d TRUE)))) (gimp-image-insert-layer img l 0 -1) (loop (+ i 1)))))"
plugin "3000x2000 RGB x2" "$(up "$T/rgb3000.png" "" 0)"
plugin "all layers: 3 x 3000x2000 x2" "$(up "$T/rgb3000.png" "$three" 1)"
if [ "$QUICK" = no ]; then
  img rgb6000.png 6000 4000 3
  plugin "6000x4000 RGB x2" "$(up "$T/rgb6000.png" "" 0)"
fi
