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
import argparse, json, os, shlex, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SRREF = os.path.join(SHARED, "tools", "srref.py")
sys.path.insert(0, os.path.dirname(SRREF))
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
import srref  # noqa: E402


def score(hr, s, sr_dir, tmp):
    j = os.path.join(tmp, "eval.json")
    subprocess.run([sys.executable, SRREF, "eval", "--set", hr, "--scale", str(s), "--protocol", "png",
                    "--sr-dir", sr_dir, "--json", j], check=True, capture_output=True)
    m = json.load(open(j))["mean"]
    return (m["sr_psnr"], m["sr_ssim"]), (m["bicubic_psnr"], m["bicubic_ssim"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build/release/srcnn"))
    ap.add_argument("--sets", default="Set14,B100")
    ap.add_argument("--scales", default="2,3")
    ap.add_argument("--qualities", default="png,50,75,90")
    ap.add_argument("--model", action="append", default=[], help="NAME=ARGS (see the module's help)")
    ap.add_argument("--json")
    args = ap.parse_args()
    models = [m.split("=", 1) for m in args.model] or [["SRCNN", "--model srcnn"], ["FSRCNN", "--model fsrcnn"]]
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0]
          .strip(), "|", args.srcnn, file=sys.stderr)
    rows, t0 = [], time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            hr = name if os.path.isdir(name) else os.path.join(SHARED, "data", name)
            name = os.path.basename(os.path.normpath(name))
            if not os.path.isdir(hr):
                sys.exit(f"missing {hr}")
            for s in map(int, args.scales.split(",")):
                lr = os.path.join(tmp, f"{name}-x{s}-lr")
                subprocess.run([sys.executable, SRREF, "degrade", "--set", hr, "--scale", str(s), "--out", lr],
                               check=True, capture_output=True)
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
                    for label, margs in models:
                        out = os.path.join(tmp, f"{name}-x{s}-{q}-{len(cells)}")
                        cmd = [args.srcnn, "upscale", src, out, "--scale", str(s), "--format", "png", "--quiet"] + \
                            shlex.split(margs.replace("{s}", str(s)))
                        subprocess.run(cmd, check=True, capture_output=True)
                        cells[label] = score(hr, s, out, tmp)[0]
                    rows.append((name, s, q, cells))
                    print(f"{name} x{s} {q} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    labels = ["bicubic"] + [m[0] for m in models]
    print("| set | scale | LR input | " + " | ".join(labels) + " |")
    print("|---|---|---|" + "---|" * len(labels))
    for name, s, q, cells in rows:
        inp = "PNG (clean)" if q == "png" else f"JPEG q{q}"
        print(f"| {name} | x{s} | {inp} | " + " | ".join(f"{cells[l][0]:.3f} / {cells[l][1]:.4f}" for l in labels)
              + " |")
    if args.json:
        json.dump([{"set": n, "scale": s, "input": q, "cells": c} for n, s, q, c in rows], open(args.json, "w"),
                  indent=1)


if __name__ == "__main__":
    main()
