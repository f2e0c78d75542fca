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
import argparse, json, os, shlex, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SRREF = os.path.join(SHARED, "tools", "srref.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build/release/srcnn"))
    ap.add_argument("--sets", default="Set5,Set14,B100")
    ap.add_argument("--scales", default="2,3,4")
    ap.add_argument("--model", action="append", default=[], help="NAME=ARGS (see the module's help)")
    ap.add_argument("--json")
    args = ap.parse_args()
    ref = os.path.join(SHARED, "reference-weights", "srcnn_9-5-5_ImageNet_x{s}.safetensors")
    models = [m.split("=", 1) for m in args.model] or [
        ["authors 9-5-5", f"--weights {ref}"],
        ["ours SRCNN", "--model srcnn"],
        ["ours FSRCNN", "--model fsrcnn"],
    ]
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0]
          .strip(), "|", args.srcnn, file=sys.stderr)
    rows, results, t0 = [], {}, time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            hr = os.path.join(SHARED, "data", name)
            if not os.path.isdir(hr):
                sys.exit(f"missing {hr}")
            for s in map(int, args.scales.split(",")):
                lr = os.path.join(tmp, f"{name}-x{s}-lr")
                subprocess.run([sys.executable, SRREF, "degrade", "--set", hr, "--scale", str(s), "--out", lr],
                               check=True, capture_output=True)
                cells = {}
                for label, margs in models:
                    out = os.path.join(tmp, f"{name}-x{s}-{len(cells)}")
                    cmd = [args.srcnn, "upscale", lr, out, "--scale", str(s), "--quiet"] + shlex.split(
                        margs.replace("{s}", str(s)))
                    subprocess.run(cmd, check=True, capture_output=True)
                    j = os.path.join(tmp, "eval.json")
                    subprocess.run([sys.executable, SRREF, "eval", "--set", hr, "--scale", str(s), "--protocol", "png",
                                    "--sr-dir", out, "--json", j], check=True, capture_output=True)
                    mean = json.load(open(j))["mean"]
                    cells["bicubic"] = (mean["bicubic_psnr"], mean["bicubic_ssim"])
                    cells[label] = (mean["sr_psnr"], mean["sr_ssim"])
                results[f"{name} x{s}"] = cells
                rows.append((name, s, cells))
                print(f"{name} x{s} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    labels = ["bicubic"] + [m[0] for m in models]
    print("| set | scale | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for name, s, cells in rows:
        print(f"| {name} | x{s} | " + " | ".join(f"{cells[l][0]:.3f} / {cells[l][1]:.4f}" for l in labels) + " |")
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
