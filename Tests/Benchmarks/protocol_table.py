#!/usr/bin/env python3
"""Issue 9's score table, by the acceptance protocol: HR set -> `srref.py degrade` (MATLAB-bicubic 8-bit PNG LR) ->
`srcnn upscale` with each model -> `srref.py eval --sr-dir --protocol png` (Y-PSNR / SSIM, `scale` pixels shaved).
Bicubic is srref's own; every other column is a file our CLI wrote.

    VENV/bin/python Tests/Benchmarks/protocol_table.py [--srcnn BIN] [--sets Set5,Set14,B100] [--scales 2,3,4]
        [--model NAME=ARGS ...] [--json out.json]

VENV: any Python with numpy and Pillow (srref.py's needs). --model NAME=ARGS adds a column whose `srcnn upscale`
arguments are ARGS, with {s} replaced by the scale, e.g. --model 'fsrcnn=--weights Weights/fsrcnn-x{s}.safetensors'.
Default columns: the authors' 9-5-5 (../shared/reference-weights), our shipped SRCNN, our shipped FSRCNN.
"""
import argparse, json, os, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sr_tables import SHARED, DEFAULT_SRCNN, cpu_name, degrade, hr_folder, models, print_table, score, upscale  # noqa


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcnn", default=DEFAULT_SRCNN)
    ap.add_argument("--sets", default="Set5,Set14,B100")
    ap.add_argument("--scales", default="2,3,4")
    ap.add_argument("--model", action="append", default=[], help="NAME=ARGS (see the module's help)")
    ap.add_argument("--json")
    args = ap.parse_args()
    ref = os.path.join(SHARED, "reference-weights", "srcnn_9-5-5_ImageNet_x{s}.safetensors")
    cols = models(args.model, [["authors 9-5-5", f"--weights {ref}"], ["ours SRCNN", "--model srcnn"],
                               ["ours FSRCNN", "--model fsrcnn"]])
    print(cpu_name(), "|", args.srcnn, file=sys.stderr)
    rows, results, t0 = [], {}, time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in args.sets.split(","):
            hr, name = hr_folder(set_name)
            for s in map(int, args.scales.split(",")):
                lr = os.path.join(tmp, f"{name}-x{s}-lr")
                degrade(hr, s, lr)
                cells = {}
                for label, margs in cols:
                    out = os.path.join(tmp, f"{name}-x{s}-{len(cells)}")
                    upscale(args.srcnn, lr, out, s, margs)
                    cells[label], cells["bicubic"] = score(hr, s, out, tmp)
                results[f"{name} x{s}"] = cells
                rows.append(((name, f"x{s}"), cells))
                print(f"{name} x{s} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    print_table(["set", "scale"], ["bicubic"] + [c[0] for c in cols], rows)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
