#!/usr/bin/env bash
# Makes the README's pictures: Plugin/screenshot-dialog.png (the dialog with its preview over the real GIMP 2.10
# under Xvfb) and Plugin/before-after.png (GIMP's cubic Scale Image against the plug-in with the shipped models),
# both on a synthetic test pattern drawn here (so the pictures carry no third-party image).
#   bash Plugin/screenshots.sh   (after `swift build -c release`; needs Xvfb, openbox, xdotool, x11-apps, netpbm, numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
for t in Xvfb openbox xdotool xwd xwdtopnm pnmtopng; do
  command -v $t >/dev/null || apt-get install -y -qq xvfb openbox xdotool x11-apps netpbm >/dev/null
done
T="$(mktemp -d /tmp/srcnn-shots-XXXXXX)"
XPID=""; GPID=""
trap '[ -n "$GPID" ] && kill $GPID 2>/dev/null; [ -n "$XPID" ] && kill $XPID 2>/dev/null; rm -rf "$T"' EXIT

# 1. The pattern, drawn 4x supersampled at 1440x1080 and shrunk x3 (MATLAB-like cubic) to the 480x360 input.
python3 - "$T/hr.ppm" <<'PY'
import sys, numpy as np
S = 4; W, H = 1440 * S, 1080 * S
y, x = np.mgrid[0:H, 0:W].astype(np.float32) / S
img = np.empty((H, W, 3), np.float32)
img[..., 0] = 0.25 + 0.45 * y / 1080; img[..., 1] = 0.45 + 0.35 * y / 1080; img[..., 2] = 0.75 + 0.2 * y / 1080
def ink(mask, rgb):
    for c in range(3): img[..., c] = np.where(mask, rgb[c], img[..., c])
# A star of 48 spokes in the middle (where the dialog's preview opens), line groups getting denser, rings, checks.
cx, cy, r = 720, 420, 230
ang = np.arctan2(y - cy, x - cx); rad = np.hypot(x - cx, y - cy)
ink((rad < r) & (np.cos(48 * ang) > 0.82), (0.08, 0.08, 0.12))
for i, gap in enumerate([30, 24, 19, 15, 12, 10, 8, 7, 6, 5, 4.5]):
    x0 = 60 + sum([30, 24, 19, 15, 12, 10, 8, 7, 6, 5, 4.5][:i])
    ink((abs(x - x0) < 1.6) & (y > 120) & (y < 540), (0.15, 0.12, 0.1))
rr = np.hypot(x - 1200, y - 330)
ink((np.sin(rr / 6.0) > 0.6) & (rr < 230), (0.55, 0.1, 0.15))
ink((y > 640) & (y < 760) & (((x // 18 + y // 18) % 2) == 0), (0.95, 0.92, 0.85))
ink((y > 800) & (abs(np.sin((x + 0.4 * y) / 9.0)) > 0.92), (0.1, 0.3, 0.15))
small = img.reshape(1080, S, 1440, S, 3).mean(axis=(1, 3))
with open(sys.argv[1], "wb") as f:
    f.write(b"P6\n1440 1080\n255\n"); f.write((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8).tobytes())
PY
vips resize "$T/hr.ppm" "$T/pattern.png" 0.333333333 --kernel cubic
vips crop "$T/pattern.png" "$T/pattern-c.png" 0 0 480 360 && mv "$T/pattern-c.png" "$T/pattern.png"

# 2. The dialog with its preview, over the real GIMP (this checkout's release build, a fresh profile).
P="$T/profile"; export GIMP2_DIRECTORY="$P"
gimp-console -i -b '(gimp-quit 0)' >/dev/null 2>&1 || true
BIN="$(swift build -c release --show-bin-path)"
mkdir -p "$P/plug-ins/srcnn-upscale/weights"
cp "$BIN/srcnn-upscale" "$BIN/libSRCNNGimp.so" "$P/plug-ins/srcnn-upscale/"
cp -r Plugin/help "$P/plug-ins/srcnn-upscale/"
cp Weights/*.safetensors "$P/plug-ins/srcnn-upscale/weights/"
D=:$((60 + RANDOM % 20)); export DISPLAY=$D
Xvfb $D -screen 0 1280x860x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
sleep 1; openbox >/dev/null 2>&1 &
gimp -n -s -d -f "$T/pattern.png" >/dev/null 2>&1 & GPID=$!
win=""; for _ in $(seq 120); do win=$(xdotool search --name "pattern.*GIMP" | head -1 || true); [ -n "$win" ] && break; sleep 0.5; done
[ -n "$win" ] || { echo "GIMP did not start"; exit 1; }
sleep 2; xdotool windowactivate --sync "$win" key slash; sleep 1.5
xdotool type "SRCNN Upscale"; sleep 1.5; xdotool key Return
dlg=""; for _ in $(seq 60); do dlg=$(xdotool search --name '^SRCNN Upscale$' | head -1 || true); [ -n "$dlg" ] && break; sleep 0.5; done
[ -n "$dlg" ] || { echo "the dialog did not open"; exit 1; }
xdotool windowactivate --sync "$dlg" key ctrl+a type 3; xdotool key Tab; sleep 6
xwd -id "$dlg" -frame -silent | xwdtopnm 2>/dev/null | pnmtopng > Plugin/screenshot-dialog.png
xdotool windowactivate --sync "$dlg" key Escape; sleep 1
kill $GPID; wait $GPID 2>/dev/null || true; GPID=""

# 3. Before/after: GIMP's Scale Image (cubic) against the plug-in, x3, the same crop of each.
models=(srcnn); [ -f "$P/plug-ins/srcnn-upscale/weights/fsrcnn-x3.safetensors" ] && models+=(fsrcnn)
cmd="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$T/pattern.png\" \"$T/pattern.png\"))))
       (gimp-context-set-interpolation INTERPOLATION-CUBIC)
       (gimp-image-scale img 1440 1080)
       (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \"$T/cubic.png\" \"$T/cubic.png\"))"
for m in "${models[@]}"; do
  cmd="$cmd (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$T/pattern.png\" \"$T/pattern.png\")))
                   (d (car (gimp-image-get-active-drawable img))))
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE img d 3.0 \"$m\" 0)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \"$T/$m.png\" \"$T/$m.png\"))"
done
gimp-console -i -d -f -b "$cmd" -b '(gimp-quit 0)' >"$T/gout" 2>&1
grep -q "execution error" "$T/gout" && { cat "$T/gout"; exit 1; }
panel() {  # panel FILE LABEL OUT: a 460x250 crop under a label
  vips crop "$1" "$T/c.v" 490 270 460 250
  vips text "$T/t0.v" "$2" --dpi 110 --font "DejaVu Sans Bold 12"
  vips invert "$T/t0.v" "$T/t.v"
  vips embed "$T/t.v" "$T/t2.v" 10 8 460 44 --extend white
  vips join "$T/t2.v" "$T/c.v" "$3" vertical
}
panel "$T/cubic.png" "GIMP cubic ×3" "$T/p0.v"; parts="$T/p0.v"
label_srcnn="SRCNN Upscale ×3 (SRCNN 9-5-5)"; label_fsrcnn="SRCNN Upscale ×3 (FSRCNN)"
i=1; for m in "${models[@]}"; do
  l=label_$m; panel "$T/$m.png" "${!l}" "$T/p$i.v"; parts="$parts $T/p$i.v"; i=$((i + 1))
done
vips arrayjoin "$parts" "$T/all.v" --shim 12 --background 255
vips copy "$T/all.v" Plugin/before-after.png
echo "wrote Plugin/screenshot-dialog.png, Plugin/before-after.png (${models[*]})"
