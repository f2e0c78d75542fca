#!/usr/bin/env python3
"""Issue 10's benchmark: each of our kernel families (forced with SRCNN_KERNELS) against the peers, forward only,
one run, 9-1-5 / 9-5-5 (64/32) and the seed's 9-3-5 (128/64) on a square plane, 2 threads.

    VENV/bin/python Tests/Benchmarks/kernel_families.py [--size 1024] [--threads 2] [--repeats 5] [--json F]

VENV: numpy, onnx, onnxruntime, openvino, tensorflow-cpu (../shared/bench/install_timed.sh, `pip install openvino`).
Run it as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`: the script sets OPENBLAS_CORETYPE=Haswell itself for the
"openblas (Haswell)" row and leaves it unset for the other (then our loader names SkylakeX or Haswell from the
CPU check, as a user's run does; before that, Debian's 0.3.21 fell back to SSE3 "Prescott" on CPUs newer than it).
Peers: onnxruntime and OpenVINO run the ONNX graph with edge Pad nodes (our semantics: replicate padding per layer),
OpenVINO with INFERENCE_PRECISION_HINT=f32 and with its default (bf16 on AMX CPUs); TensorFlow (tf.function, NHWC,
'same' zero padding: it has no edge padding) with ONEDNN_MAX_CPU_ISA=AVX2 as the AVX2 peer. "max |diff|": ours
against our Double reference (srcnn bench's own check); peers against onnxruntime's edge-pad output on a 256²
plane (the equal-output anchor; TF's zero padding is compared on the interior only).
"""
import argparse, json, os, subprocess, sys, tempfile, time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vs_onnxruntime import MODELS, random_layers, write_safetensors, onnx_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(run, repeats):
    for _ in range(2):
        run()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter(); run(); t.append(time.perf_counter() - t0)
    return sorted(t)[len(t) // 2]


def peer_worker(kind, onnx_path, layers_path, size, threads, repeats, out_path):
    """Runs in its own process (ONEDNN_MAX_CPU_ISA and thread pools are process-wide); prints seconds."""
    x = np.random.default_rng(3).random((1, 1, size, size), dtype=np.float32)
    if kind == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
        s = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        run = lambda: s.run(None, {"x": x})[0]
    elif kind.startswith("ov"):
        import openvino as ov
        cfg = {"INFERENCE_NUM_THREADS": threads}
        if kind == "ov-f32":
            cfg["INFERENCE_PRECISION_HINT"] = "f32"
        req = ov.Core().compile_model(onnx_path, "CPU", cfg).create_infer_request()
        run = lambda: next(iter(req.infer({0: x}).values()))
    else:   # tf
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        layers = np.load(layers_path, allow_pickle=True)
        ws = [tf.constant(np.transpose(w, (2, 3, 1, 0))) for w, _ in layers]
        bs = [tf.constant(b) for _, b in layers]

        @tf.function(jit_compile=False)
        def f(v):
            for i, (w, b) in enumerate(zip(ws, bs)):
                v = tf.nn.conv2d(v, w, 1, "SAME") + b
                if i < len(ws) - 1:
                    v = tf.nn.relu(v)
            return v
        xt = tf.constant(np.transpose(x, (0, 2, 3, 1)))
        run = lambda: np.transpose(f(xt).numpy(), (0, 3, 1, 2))
    secs = timed(run, repeats)
    np.save(out_path, run())
    print(secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build", "release", "srcnn"))
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--models", default="9-1-5,9-5-5,9-3-5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        k, onnx_path, lp, size, th, rep, out = a.worker
        return peer_worker(k, onnx_path, lp, int(size), int(th), int(rep), out)
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    ours = [("avx512", {"SRCNN_KERNELS": "avx512"}), ("avx2", {"SRCNN_KERNELS": "avx2"}),
            ("openblas (Haswell)", {"SRCNN_KERNELS": "openblas", "OPENBLAS_CORETYPE": "Haswell"}),
            ("openblas (core type unset: our pick)", {"SRCNN_KERNELS": "openblas"})]
    peers = [("onnxruntime (edge pad)", "ort", {}), ("OpenVINO f32 (edge pad)", "ov-f32", {}),
             ("OpenVINO default (edge pad)", "ov-default", {}),
             ("TensorFlow oneDNN AVX2 ('same' zero pad)", "tf", {"ONEDNN_MAX_CPU_ISA": "AVX2",
                                                                  "TF_CPP_MIN_LOG_LEVEL": "3"})]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            ks, fs = MODELS[name]
            layers = random_layers(ks, fs, seed=1)
            wpath = os.path.join(tmp, f"{name}.safetensors")
            write_safetensors(wpath, layers, {"scale": "2", "architecture": name})
            lpath = os.path.join(tmp, f"{name}.npy")
            arr = np.empty(len(layers), dtype=object); arr[:] = layers
            np.save(lpath, arr, allow_pickle=True)
            for label, extra in ours:
                out = subprocess.run([a.srcnn, "bench", "--weights", wpath, "--sizes", str(a.size), "--json", "-q",
                                      "--threads", str(a.threads), "--repeats", str(a.repeats)],
                                     env=dict(base_env, **extra), check=True, capture_output=True, text=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                if r.get("kernels") != extra["SRCNN_KERNELS"]:
                    print(f"{label}: this CPU ran {r.get('kernels')} instead; row skipped"); continue
                rows.append(dict(model=name, runtime="ours " + label, mps=r["mps"],
                                 diff=r["max_abs_diff_vs_reference"], against="our Double reference"))
                print(rows[-1], flush=True)
            outs = {}
            for size, timing in [(256, False), (a.size, True)]:
                onnx_path = os.path.join(tmp, f"{name}-{size}.onnx")
                with open(onnx_path, "wb") as f:
                    f.write(onnx_model(layers, size, edge=True))
                for label, kind, extra in peers:
                    o = os.path.join(tmp, f"{kind}-{size}.npy")
                    p = subprocess.run([sys.executable, __file__, "--worker", kind, onnx_path, lpath, str(size),
                                        str(a.threads), str(a.repeats if timing else 1), o],
                                       env=dict(base_env, **extra), capture_output=True, text=True)
                    if p.returncode != 0:
                        print(f"{label}: failed: {p.stderr.strip().splitlines()[-1:]}"); continue
                    secs = float(p.stdout.strip().splitlines()[-1])
                    if not timing:
                        outs[kind] = np.load(o)[0, 0]; continue
                    ref = outs.get("ort")
                    got = outs.get(kind)
                    diff = None
                    if ref is not None and got is not None:
                        r = sum(w.shape[2] // 2 for w, _ in layers)
                        sl = (slice(r, -r), slice(r, -r)) if kind == "tf" else (slice(None), slice(None))
                        diff = float(np.abs(got[sl] - ref[sl]).max())
                    rows.append(dict(model=name, runtime=label, mps=a.size * a.size / secs / 1e6, diff=diff,
                                     against="onnxruntime (edge pad), 256²" + (" interior" if kind == "tf" else "")))
                    print(rows[-1], flush=True)
    print(f"\n{a.size}² plane, {a.threads} threads, median of {a.repeats}\n")
    print("| model | runtime | MP/s | best ours / it | max abs diff | against |")
    print("|---|---|---|---|---|---|")
    for name in a.models.split(","):
        mine = [r for r in rows if r["model"] == name]
        best = max((r["mps"] for r in mine if r["runtime"].startswith("ours")), default=float("nan"))
        for r in mine:
            d = "—" if r["diff"] is None else f"{r['diff']:.1e}"
            print(f"| {name} | {r['runtime']} | {r['mps']:.2f} | {best / r['mps']:.2f}x | {d} | {r['against']} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
