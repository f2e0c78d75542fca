#!/usr/bin/env python3
"""FSRCNN training speed: `srcnn train --bench` (its FSRCNN rows) against PyTorch on the same patches and batch
(LR patch -> valid convolutions with PReLU -> ConvTranspose -> the same label window, MSE, Adam), 2 threads.

    VENV/bin/python Tests/Benchmarks/fsrcnn_train_vs_pytorch.py [--threads 2] [--batch 64] [--srcnn BIN]

VENV: ../shared/bench/install_timed.sh VENV (torch from its CPU wheel). Run with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (`env -u ...`). Prints lscpu's model and patches/s per scale for both, in one run.
"""
import argparse, os, re, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# (scale, LR patch, label side, label start in HR patch coordinates): as FSRCNNGeometry computes them.
CASES = [(2, 26, 21, 15), (3, 22, 24, 21), (4, 20, 27, 26)]


def torch_speed(scale, n, label, start, batch, threads, steps=10):
    import torch
    torch.set_num_threads(threads)
    d, s, m = 56, 12, 4
    layers = [torch.nn.Conv2d(1, d, 5), torch.nn.PReLU(d), torch.nn.Conv2d(d, s, 1), torch.nn.PReLU(s)]
    for _ in range(m):
        layers += [torch.nn.Conv2d(s, s, 3), torch.nn.PReLU(s)]
    layers += [torch.nn.Conv2d(s, d, 1), torch.nn.PReLU(d)]
    body = torch.nn.Sequential(*layers)
    k, p = 9, 9 // 2 - (scale - 1) // 2
    deconv = torch.nn.ConvTranspose2d(d, 1, k, stride=scale)
    params = list(body.parameters()) + list(deconv.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(batch, 1, n, n)
    t = torch.rand(batch, 1, label, label)
    R = 6
    # Valid features sit at LR R..n-R; ConvTranspose without padding puts feature y at HR s*y (+ tap); the label
    # window starts at `start` in HR patch coordinates, i.e. at start - s*R + p in the ConvTranspose output.
    off = start - scale * R + p

    def step():
        opt.zero_grad(set_to_none=True)
        y = deconv(body(x))[:, :, off:off + label, off:off + label]
        loss = torch.nn.functional.mse_loss(y, t)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
    return batch / sorted(ts)[len(ts) // 2], torch.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build/release/srcnn"))
    a = ap.parse_args()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0].strip()
    print(f"{cpu} | batch {a.batch}, {a.threads} threads")
    out = subprocess.run([a.srcnn, "train", "--bench", "--threads", str(a.threads), "--batch", str(a.batch)],
                         capture_output=True, text=True, check=True).stdout
    ours = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"FSRCNN\(56,12,4\) x(\d)\s+\d+ -> \d+\s+(\d+) patches/s", out)}
    print("| FSRCNN(56,12,4) | LR patch -> label | ours patches/s | PyTorch patches/s | ours / PyTorch |")
    print("|---|---|---|---|---|")
    for scale, n, label, start in CASES:
        tp, version = torch_speed(scale, n, label, start, a.batch, a.threads)
        print(f"| x{scale} | {n} -> {label} | {ours[scale]:.0f} | {tp:.0f} (torch {version}) | {ours[scale] / tp:.2f} |")


if __name__ == "__main__":
    main()
