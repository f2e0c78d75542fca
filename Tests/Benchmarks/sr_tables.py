"""What the score-table scripts share (protocol_table.py, photo_table.py): where srref and the data are, the
acceptance protocol's steps (degrade, upscale with our CLI, score) and the markdown table."""
import json, os, shlex, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SRREF = os.path.join(SHARED, "tools", "srref.py")
DEFAULT_SRCNN = os.path.join(ROOT, ".build/release/srcnn")


def cpu_name():
    """lscpu's model name, printed beside every table."""
    return subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0] \
        .strip()


def hr_folder(name):
    """(path, label) of a set: a folder given as such, else ../shared/data/NAME; exits when it is missing."""
    hr = name if os.path.isdir(name) else os.path.join(SHARED, "data", name)
    if not os.path.isdir(hr):
        sys.exit(f"missing {hr}")
    return hr, os.path.basename(os.path.normpath(name))


def models(specs, default):
    """--model NAME=ARGS specs as [name, args] pairs, or `default` when none were given."""
    return [m.split("=", 1) for m in specs] or default


def degrade(hr, s, out):
    """srref's MATLAB-bicubic 8-bit PNG LR of every HR image into `out`."""
    subprocess.run([sys.executable, SRREF, "degrade", "--set", hr, "--scale", str(s), "--out", out],
                   check=True, capture_output=True)


def upscale(binary, src, out, s, model_args, extra=()):
    """`srcnn upscale` of the folder `src` into `out` at scale s; {s} in `model_args` becomes the scale."""
    cmd = [binary, "upscale", src, out, "--scale", str(s), *extra, "--quiet"] + shlex.split(
        model_args.replace("{s}", str(s)))
    subprocess.run(cmd, check=True, capture_output=True)


def score(hr, s, sr_dir, tmp):
    """((sr PSNR, SSIM), (bicubic PSNR, SSIM)) by `srref.py eval --protocol png`, means over the set."""
    j = os.path.join(tmp, "eval.json")
    subprocess.run([sys.executable, SRREF, "eval", "--set", hr, "--scale", str(s), "--protocol", "png",
                    "--sr-dir", sr_dir, "--json", j], check=True, capture_output=True)
    m = json.load(open(j))["mean"]
    return (m["sr_psnr"], m["sr_ssim"]), (m["bicubic_psnr"], m["bicubic_ssim"])


def print_table(keys, labels, rows):
    """A markdown table: `keys` name the leading columns, each row is (leading values, {label: (psnr, ssim)})."""
    print("| " + " | ".join(keys + labels) + " |")
    print("|" + "---|" * (len(keys) + len(labels)))
    for lead, cells in rows:
        print("| " + " | ".join(list(lead) + [f"{cells[l][0]:.3f} / {cells[l][1]:.4f}" for l in labels]) + " |")
