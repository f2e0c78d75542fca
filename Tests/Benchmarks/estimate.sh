#!/usr/bin/env bash
# The dialog's estimate against the run it estimates: a 3000x2000 photo x2 in GIMP (under Xvfb), the estimate read
# from the preview (SRCNN_PREVIEW_DUMP), then OK and the plug-in's own "done in" time, for each model given.
#   bash Tests/Benchmarks/estimate.sh [srcnn|fsrcnn ...]   (after `swift build -c release`; prints the CPU first)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODELS=("${@:-srcnn}")
BIN="$(swift build -c release --show-bin-path)"
T="$(mktemp -d /tmp/srcnn-estimate-XXXXXX)"
XPID=""
trap '[ -n "$XPID" ] && kill $XPID 2>/dev/null; rm -rf "$T"' EXIT
lscpu | grep -E 'Model name|^CPU\(s\)'
# A photo: B100's img_004 enlarged 6.25x, cut to 3000x2000 (the test photo of the FSRCNN speed benchmark).
vips resize ../shared/data/B100/img_004.png "$T/big.v" 6.25
vips crop "$T/big.v" "$T/photo.png" 0 0 3000 2000
P="$T/profile"; mkdir -p "$P/plug-ins/srcnn-upscale/weights"
GIMP2_DIRECTORY="$P" gimp-console -i -b '(gimp-quit 0)' >/dev/null 2>&1 || true
cp "$BIN/srcnn-upscale" "$BIN/libSRCNNGimp.so" "$P/plug-ins/srcnn-upscale/"
cp Weights/*.safetensors "$P/plug-ins/srcnn-upscale/weights/"
# Until the FSRCNN weights ship, the FSRCNN x3 training run's best weights stand in for them.
[ -f "$P/plug-ins/srcnn-upscale/weights/fsrcnn-x3.safetensors" ] || \
  cp Weights/training/fsrcnn-x3.safetensors "$P/plug-ins/srcnn-upscale/weights/fsrcnn-x3.safetensors"
D=:$((70 + RANDOM % 20)); Xvfb $D -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
sleep 1
printf '%-8s %-14s %10s %10s %7s\n' model scale estimate measured ratio
for m in "${MODELS[@]}"; do
  rm -rf "$T/dump"; mkdir -p "$T/dump"; rm -f "$P/pluginrc"
  w=""; [ "$m" = fsrcnn ] && w=fsrcnn
  cmd="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$T/photo.png\" \"$T/photo.png\")))
              (d (car (gimp-image-get-active-drawable img))))
         (plug-in-srcnn-upscale RUN-INTERACTIVE img d 2.0 \"$w\" 0))"
  DISPLAY=$D SRCNN_PREVIEW_DUMP="$T/dump" GIMP2_DIRECTORY="$P" gimp-console -i -d -f -b "$cmd" -b '(gimp-quit 0)' \
    >"$T/out" 2>&1 &
  G=$!
  for _ in $(seq 600); do [ -f "$T/dump/preview-1.ppm" ] && break; sleep 0.1; done
  [ -f "$T/dump/preview-1.ppm" ] || { echo "no preview"; cat "$T/out"; exit 1; }
  est=$(sed -n 2p "$T/dump/preview-1.txt")
  win=$(DISPLAY=$D xdotool search --name '^SRCNN Upscale$' | head -1)
  DISPLAY=$D xdotool windowfocus --sync "$win" key alt+o
  wait $G
  grep -q "execution error" "$T/out" && { cat "$T/out"; exit 1; }
  done_s=$(grep -o 'done in [0-9.]*' "$T/out" | awk '{print $3}')
  secs=$(echo "$est" | grep -o 'about [0-9]* s' | awk '{print $2}'); secs=${secs:-0}
  printf '%-8s %-14s %9ss %9ss %7.2f   (%s)\n' "$m" "3000x2000 x2" "$secs" "$done_s" \
    "$(echo "$done_s / $secs" | bc -l)" "$est"
  grep 'srcnn-upscale: done in' "$T/out" | sed 's/^/         /'
done
