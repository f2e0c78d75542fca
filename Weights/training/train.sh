#!/usr/bin/env bash
# Weights/training/train.sh RUN [THREADS]: start or resume one of the runs that train the weights we ship, from
# its checkpoint in this folder. Machines change between sessions and everything outside the repository is lost,
# so the checkpoint (with its CSV log and SVG curve) is committed at the end of each session and the next one
# resumes it here, bit for bit (`srcnn train --resume`). Stop a run with SIGTERM or Ctrl-C: it writes its
# checkpoint at the next step.
#
# Note: runs that start from "Weights/srcnn-x$S.safetensors" (srcnn-xN-291, srcnn-x4-291-ds, srcnn-xN-photo) were
# started from the T91 SRCNN weights shipped until commit abc1599 (`git show abc1599:Weights/srcnn-x2.safetensors`);
# since then Weights/srcnn-x{2,3,4} are the best epochs of srcnn-x2-291-ds, srcnn-x3-291-ds and srcnn-x4-291-ds.
#
# Runs:   fsrcnn-x3      FSRCNN(56,12,4) x3 from scratch (Adam 1e-3, deconvolution 1e-4, 20,000 steps of 64 a
#                        epoch), stopped when val10 stopped rising (best epoch 12 of 14)
#         fsrcnn-x3-lr4  stage 2: from fsrcnn-x3's best weights with the learning rates / 10 (1e-4, last 1e-5)
#         fsrcnn-x2, fsrcnn-x4  from fsrcnn-x3-lr4's best weights at the new scale (the deconvolution relearns its
#                        stride; every layer at 1e-4), as the paper transfers its x3 network
#         srcnn-x2-291, srcnn-x3-291, srcnn-x4-291  SRCNN 9-5-5 (64/32) fine-tuned on 291 with the 8 flips from the
#                        shipped T91 weights of the same scale (Adam 1e-4, last layer 1e-5, 5,000 steps of 64 an
#                        epoch), to close their gap to the authors' ImageNet 9-5-5. No downscaled copies: SRCNN's
#                        patches live on the HR grid, and with them the patch set took 20 GB (without, ~7 GB)
#         fsrcnn-x2-photo, fsrcnn-x3-photo, fsrcnn-x4-photo, srcnn-x2-photo, srcnn-x3-photo, srcnn-x4-photo  photo
#                        weights (issue 13): from the shipped clean weights of the family and scale, the LR of each
#                        copy re-encoded as a JPEG of quality 30-95 (4:2:0) after Gaussian noise of sigma 0-3 levels,
#                        25 % of copies left clean; validated on val10's LR as JPEG quality 62. FSRCNN Adam 1e-4
#                        (5,000 steps an epoch). SRCNN (not started before fsrcnn-x3-photo-c): JPEG 40-95 without
#                        grain, 35 % clean, flips drawn per patch (--flips-at-gather), otherwise as its 291 runs
#         srcnn-x3-291-ds  from srcnn-x3-291's best weights with the 0.9-0.6 downscaled copies too (3.3x the distinct
#                        patches; they fit because the flips are drawn per patch, --flips-at-gather), lr 5e-5 (last 5e-6)
#         fsrcnn-x3-photo-b  the same as fsrcnn-x3-photo with milder grain and more clean copies (noise 0-1.5,
#                        40 % clean): which of the two keeps clean inputs within 0.2 dB, judged on val10 only
#         fsrcnn-x3-photo-c  JPEG only (quality 40-95, no grain, 35 % clean): the acceptance inputs are JPEGs
#                        without added noise, and grain cost the clean inputs most in -a/-b (val10 only)
#         fsrcnn-x3-photo-q75  the ceiling: every copy a JPEG of quality 75, none clean, no grain — how much a
#                        specialist of the acceptance's middle quality gains at q75 (val10 at q75)
#         fsrcnn-x3-photo-m8  capacity: FSRCNN(56,12,8) from fsrcnn-x3-photo-c's best, its 4 new mapping layers
#                        starting as identities (the same function), LR patches 30 (labels 24 as before), photo-c's
#                        recipe: the q75 specialist plateaued at +0.36 dB over clean (val10), short of +0.5
#         srcnn-x2-291-ds, srcnn-x4-291-ds  srcnn-x3-291-ds's recipe at x2 (from srcnn-x2-291-lr5's best) and x4
#                        (from the shipped T91 srcnn-x4, lr 1e-4 / last 1e-5: no 291 stage before it)
#         fsrcnn-x3-photo-w32  capacity by width: FSRCNN(56,32,4) from photo-c's best, its shrink widened from 12 to
#                        32 channels (FSRCNN.widened: copied channels, uneven splits; the same function), photo-c's
#                        recipe: the 8 mapping layers of -m8 gained 0.01 dB at q75 (val10), so depth is not the limit
#         srcnn-x2-291-lr5  stage 2: from srcnn-x2-291's best weights (val10 flat for 8 epochs) with lr 2e-5 (last 2e-6)
#
# Data (never Set5/Set14/B100): /work/train/data/train291 = T91 + the first 190 BSD200 files by name (281
# images), /work/train/data/val10 = the last 10 BSD200 files (held out; they pick the best epoch). Both are
# symlinks into ../shared/data, made here; the checkpoint records these paths, so they are fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${1:?usage: Weights/training/train.sh RUN [THREADS]  (runs: fsrcnn-x3, fsrcnn-x3-lr4, fsrcnn-x2, fsrcnn-x4, srcnn-x2-291, srcnn-x2-291-lr5, srcnn-x3-291, srcnn-x4-291, fsrcnn-xN-photo and srcnn-xN-photo for N = 2, 3, 4, fsrcnn-x3-photo-b, fsrcnn-x3-photo-c, fsrcnn-x3-photo-q75, fsrcnn-x3-photo-m8, fsrcnn-x3-photo-w32, srcnn-x3-291-ds, srcnn-x2-291-ds, srcnn-x4-291-ds)}
THREADS=${2:-1}
DATA=/work/train/data
SHARED=$(cd .. && pwd)/shared/data
mkdir -p "$DATA/train291" "$DATA/val10"
for f in "$SHARED"/T91/*.png; do ln -sf "$f" "$DATA/train291/T91-$(basename "$f")"; done
ls "$SHARED/BSD200" | LC_ALL=C sort > "$DATA/bsd200.txt"
head -190 "$DATA/bsd200.txt" | while read -r f; do ln -sf "$SHARED/BSD200/$f" "$DATA/train291/$f"; done
tail -10 "$DATA/bsd200.txt" | while read -r f; do ln -sf "$SHARED/BSD200/$f" "$DATA/val10/$f"; done
[ "$(ls "$DATA/train291" | wc -l)" = 281 ] && [ "$(ls "$DATA/val10" | wc -l)" = 10 ] || {
  echo "train.sh: expected 281 training and 10 validation images in $DATA" >&2; exit 1; }

# Its own build folder, so a training run neither waits for nor disturbs the test build in .build.
swift build -c release --product srcnn --scratch-path .build-train 2>&1 | grep -E "error|warning: unre" || true
SRCNN="$(swift build -c release --scratch-path .build-train --show-bin-path)/srcnn"
[ -x "$SRCNN" ] || { echo "train.sh: the srcnn build failed" >&2; exit 1; }
W=Weights/training
case "$RUN" in
  fsrcnn-x3)
    START=(--family fsrcnn --scale 3 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 20000 --epochs 300) ;;
  fsrcnn-x3-lr4)
    START=(--family fsrcnn --scale 3 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 20000 --epochs 40
           --init "$W/fsrcnn-x3.safetensors" --lr 1e-4 --lr-last 1e-5) ;;
  fsrcnn-x2|fsrcnn-x4)
    START=(--family fsrcnn --scale "${RUN#fsrcnn-x}" --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 20000
           --epochs 40 --init "$W/fsrcnn-x3-lr4.safetensors" --lr 1e-4 --lr-last 1e-4) ;;
  srcnn-x2-291|srcnn-x3-291|srcnn-x4-291)
    S=${RUN#srcnn-x}; S=${S%-291}
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale "$S" --flips --steps-per-epoch 5000 --epochs 200
           --init "Weights/srcnn-x$S.safetensors" --lr 1e-4 --lr-last 1e-5) ;;
  srcnn-x2-291-lr5)
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale 2 --flips --steps-per-epoch 5000 --epochs 100
           --init "$W/srcnn-x2-291.safetensors" --lr 2e-5 --lr-last 2e-6) ;;
  fsrcnn-x2-photo|fsrcnn-x3-photo|fsrcnn-x4-photo)
    S=${RUN#fsrcnn-x}; S=${S%-photo}
    START=(--family fsrcnn --scale "$S" --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60
           --jpeg 30-95 --noise 0-3 --clean 0.25 --init "Weights/fsrcnn-x$S.safetensors" --lr 1e-4 --lr-last 1e-4) ;;
  srcnn-x3-291-ds)
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale 3 --flips --flips-at-gather --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 100
           --init "$W/srcnn-x3-291.safetensors" --lr 5e-5 --lr-last 5e-6) ;;
  srcnn-x2-291-ds)
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale 2 --flips --flips-at-gather --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 100
           --init "$W/srcnn-x2-291-lr5.safetensors" --lr 5e-5 --lr-last 5e-6) ;;
  srcnn-x4-291-ds)
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale 4 --flips --flips-at-gather --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 100
           --init "Weights/srcnn-x4.safetensors" --lr 1e-4 --lr-last 1e-5) ;;
  fsrcnn-x3-photo-b)
    START=(--family fsrcnn --scale 3 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60
           --jpeg 30-95 --noise 0-1.5 --clean 0.4 --init Weights/fsrcnn-x3.safetensors --lr 1e-4 --lr-last 1e-4) ;;
  fsrcnn-x3-photo-c)
    START=(--family fsrcnn --scale 3 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60
           --jpeg 40-95 --clean 0.35 --init Weights/fsrcnn-x3.safetensors --lr 1e-4 --lr-last 1e-4) ;;
  fsrcnn-x3-photo-q75)
    START=(--family fsrcnn --scale 3 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60
           --jpeg 75-75 --clean 0 --init Weights/fsrcnn-x3.safetensors --lr 1e-4 --lr-last 1e-4) ;;
  fsrcnn-x3-photo-m8)
    START=(--family fsrcnn --scale 3 --layers 5-1-3-3-3-3-3-3-3-3-1-9 --filters 56,12,12,12,12,12,12,12,12,12,56
           --patch 30 --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60 --jpeg 40-95
           --clean 0.35 --init "$W/fsrcnn-x3-photo-c.safetensors" --lr 1e-4 --lr-last 1e-4) ;;
  fsrcnn-x3-photo-w32)
    START=(--family fsrcnn --scale 3 --layers 5-1-3-3-3-3-1-9 --filters 56,32,32,32,32,32,56
           --flips --downscales 0.9,0.8,0.7,0.6 --steps-per-epoch 5000 --epochs 60 --jpeg 40-95
           --clean 0.35 --init "$W/fsrcnn-x3-photo-c.safetensors" --lr 1e-4 --lr-last 1e-4) ;;
  srcnn-x2-photo|srcnn-x3-photo|srcnn-x4-photo)
    S=${RUN#srcnn-x}; S=${S%-photo}
    START=(--family srcnn --layers 9-5-5 --filters 64,32 --patch 33 --stride 14 --batch 64 --optimizer adam
           --scale "$S" --flips --flips-at-gather --steps-per-epoch 5000 --epochs 100 --jpeg 40-95 --clean 0.35
           --init "Weights/srcnn-x$S.safetensors" --lr 1e-4 --lr-last 1e-5) ;;
  *) echo "train.sh: unknown run '$RUN' (runs: fsrcnn-x3, fsrcnn-x3-lr4, fsrcnn-x2, fsrcnn-x4, srcnn-x2-291, srcnn-x2-291-lr5, srcnn-x3-291, srcnn-x4-291, fsrcnn-xN-photo and srcnn-xN-photo for N = 2, 3, 4, fsrcnn-x3-photo-b, fsrcnn-x3-photo-c, fsrcnn-x3-photo-q75, fsrcnn-x3-photo-m8, fsrcnn-x3-photo-w32, srcnn-x3-291-ds, srcnn-x2-291-ds, srcnn-x4-291-ds)" >&2
     exit 2 ;;
esac
if [ -f "$W/$RUN.ckpt" ]; then
  exec "$SRCNN" train --resume "$W/$RUN.ckpt" -o "$W/$RUN.safetensors" --threads "$THREADS" --quiet
else
  exec "$SRCNN" train "${START[@]}" --data "$DATA/train291" --val "$DATA/val10" --threads "$THREADS" --quiet \
    -o "$W/$RUN.safetensors" --checkpoint "$W/$RUN.ckpt"
fi
