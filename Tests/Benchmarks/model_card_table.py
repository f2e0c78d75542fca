#!/usr/bin/env python3
"""The PSNR/SSIM table of Weights/MODEL_CARD.md: `srcnn eval` on Set5, Set14 and B100 at x2/x3/x4 for the shipped
weights, bicubic, and the SRCNN authors' weights (../shared/reference-weights), all in one run.

Usage: python3 Tests/Benchmarks/model_card_table.py [--srcnn .build/release/srcnn] [--weights-dir Weights]
                                                    [--sets Set5,Set14,B100] [--json out.json]
Prints markdown tables (mean PSNR dB / SSIM on Y, `scale` pixels shaved: the paper's protocol).
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")

# The authors' numbers the issue sets as floor (9-1-5, 91 images) and goal (9-5-5, ImageNet), from the paper.
FLOOR = {("Set5", 2): 36.34, ("Set5", 3): 32.39, ("Set5", 4): 30.08,
         ("Set14", 2): 32.18, ("Set14", 3): 29.00, ("Set14", 4): 27.20}
GOAL = {("Set5", 2): 36.66, ("Set5", 3): 32.75, ("Set5", 4): 30.49,
        ("Set14", 2): 32.45, ("Set14", 3): 29.30, ("Set14", 4): 27.50,
        ("B100", 2): 31.36, ("B100", 3): 28.41, ("B100", 4): 26.90}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build/release/srcnn"))
    ap.add_argument("--weights-dir", default=os.path.join(ROOT, "Weights"))
    ap.add_argument("--sets", default="Set5,Set14,B100")
    ap.add_argument("--scales", default="2,3,4")
    ap.add_argument("--json")
    args = ap.parse_args()
    ref = os.path.join(SHARED, "reference-weights")
    rows = {}
    t0 = time.time()
    for scale in [int(s) for s in args.scales.split(",")]:
        models = [("ours", os.path.join(args.weights_dir, f"srcnn-x{scale}.safetensors")),
                  ("authors 9-5-5 ImageNet", os.path.join(ref, f"srcnn_9-5-5_ImageNet_x{scale}.safetensors")),
                  ("authors 9-1-5 91 images", os.path.join(ref, f"srcnn_9-1-5_91images_x{scale}.safetensors"))]
        models = [(n, p) for n, p in models if os.path.exists(p)]
        for s in args.sets.split(","):
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                cmd = [args.srcnn, "eval", "--set", os.path.join(SHARED, "data", s), "--scale", str(scale), "-q",
                       "--json", f.name] + sum([["--weights", p] for _, p in models], [])
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                r = json.load(open(f.name))
            n = len(r["images"])
            means = [(sum(im["psnr"][k] for im in r["images"]) / n, sum(im["ssim"][k] for im in r["images"]) / n)
                     for k in range(len(models) + 1)]
            rows[(s, scale)] = {"bicubic": means[0], **{name: means[i + 1] for i, (name, _) in enumerate(models)}}
            print(f"{s} x{scale}: " + ", ".join(f"{k} {v[0]:.3f}" for k, v in rows[(s, scale)].items()), file=sys.stderr)
    print(f"(srcnn eval, {time.time() - t0:.0f} s)", file=sys.stderr)

    names = ["bicubic", "ours", "authors 9-5-5 ImageNet", "authors 9-1-5 91 images"]
    print("| set | scale | " + " | ".join(names) + " | floor | goal | ours − goal |")
    print("|---|---|" + "---|" * (len(names) + 3))
    for (s, scale), r in rows.items():
        cells = [f"{r[n][0]:.2f} / {r[n][1]:.4f}" if n in r else "—" for n in names]
        floor, goal = FLOOR.get((s, scale)), GOAL.get((s, scale))
        ours = r.get("ours", (None,))[0]
        mark = lambda ref: "—" if ref is None or ours is None else f"{ref:.2f}" + (" ✓" if ours >= ref else " ✗")
        diff = "—" if goal is None or ours is None else f"{ours - goal:+.2f}"
        print(f"| {s} | ×{scale} | " + " | ".join(cells) + f" | {mark(floor)} | {mark(goal)} | {diff} |")
    if args.json:
        json.dump({f"{s} x{k}": v for (s, k), v in rows.items()}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
