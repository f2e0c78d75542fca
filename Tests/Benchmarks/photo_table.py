#!/usr/bin/env python3
"""Issue 13's score table: HR set -> `srref.py degrade` (MATLAB-bicubic 8-bit PNG LR) -> that LR as it is (png) and
saved as JPEG at each quality with libjpeg's defaults (Pillow, 4:2:0) -> `srcnn upscale` with each model ->
`srref.py eval --sr-dir --protocol png` against the HR (Y-PSNR / SSIM, `scale` pixels shaved). The bicubic column
is srref's MATLAB bicubic of the same JPEG LR, rounded to 8 bits (for the PNG row, srref eval's own bicubic).

    VENV/bin/python Tests/Benchmarks/photo_table.py [--srcnn BIN] [--sets Set14,B100 (names in ../shared/data or folders)] [--scales 2,3]
        [--qualities png,50,75,90] [--model NAME=ARGS ...] [--json out.json]

--model NAME=ARGS adds a column whose `srcnn upscale` arguments are ARGS, {s} replaced by the scale, e.g.
--model 'photo=--weights Weights/training/fsrcnn-x{s}-photo.safetensors'. Default: shipped SRCNN and FSRCNN.
"""
import argparse, json, os, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sr_tables import SRREF, DEFAULT_SRCNN, cpu_name, degrade, hr_folder, models, print_table, score, upscale  # noqa
sys.path.insert(0, os.path.dirname(SRREF))
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import srref  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcnn", default=DEFAULT_SRCNN)
    ap.add_argument("--sets", default="Set14,B100")
    ap.add_argument("--scales", default="2,3")
    ap.add_argument("--qualities", default="png,50,75,90")
    ap.add_argument("--model", action="append", default=[], help="NAME=ARGS (see the module's help)")
    ap.add_argument("--json")
    args = ap.parse_args()
    cols = models(args.model, [["SRCNN", "--model srcnn"], ["FSRCNN", "--model fsrcnn"]])
    print(cpu_name(), "|", args.srcnn, file=sys.stderr)
    rows, t0 = [], time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in args.sets.split(","):
            hr, name = hr_folder(set_name)
            for s in map(int, args.scales.split(",")):
                lr = os.path.join(tmp, f"{name}-x{s}-lr")
                degrade(hr, s, lr)
                for q in args.qualities.split(","):
                    src = lr
                    if q != "png":
                        src = os.path.join(tmp, f"{name}-x{s}-q{q}")
                        os.makedirs(src)
                        for f in sorted(os.listdir(lr)):
                            im = Image.open(os.path.join(lr, f)).convert("RGB")
                            im.save(os.path.join(src, os.path.splitext(f)[0] + ".jpg"), quality=int(q))
                    # Bicubic of this LR (srref's MATLAB imresize, 8 bits).
                    bic = os.path.join(tmp, f"{name}-x{s}-{q}-bicubic")
                    os.makedirs(bic)
                    for f in sorted(os.listdir(src)):
                        a = np.asarray(Image.open(os.path.join(src, f)).convert("RGB"), dtype=np.float64)
                        up = srref.imresize(a, scale=s)
                        Image.fromarray(np.clip(srref.matlab_round(up), 0, 255).astype(np.uint8)).save(
                            os.path.join(bic, os.path.splitext(f)[0] + ".png"))
                    # The clean row's bicubic is srref's own (as protocol_table.py prints it).
                    ours, theirs = score(hr, s, bic, tmp)
                    cells = {"bicubic": theirs if q == "png" else ours}
                    for label, margs in cols:
                        out = os.path.join(tmp, f"{name}-x{s}-{q}-{len(cells)}")
                        upscale(args.srcnn, src, out, s, margs, extra=("--format", "png"))
                        cells[label] = score(hr, s, out, tmp)[0]
                    rows.append((name, s, q, cells))
                    print(f"{name} x{s} {q} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    print_table(["set", "scale", "LR input"], ["bicubic"] + [c[0] for c in cols],
                [((n, f"x{s}", "PNG (clean)" if q == "png" else f"JPEG q{q}"), c) for n, s, q, c in rows])
    if args.json:
        json.dump([{"set": n, "scale": s, "input": q, "cells": c} for n, s, q, c in rows], open(args.json, "w"),
                  indent=1)


if __name__ == "__main__":
    main()
