#!/usr/bin/env python3
"""Forward-pass speed of `srcnn bench` against onnxruntime on the same weights and image sizes, in one run.

Prints MP/s for each model and size, the ratio srcnn / onnxruntime, GFLOP/s and the share of this
machine's sgemm peak (numpy/OpenBLAS 2048^2, same thread count), measured in the same run.

    pip install onnxruntime onnx numpy
    swift build -c release
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Tests/Benchmarks/vs_onnxruntime.py

Models (random He-normal weights, fixed seed; speed does not depend on values):
9-1-5 (64/32), 9-5-5 (64/32) and the seed article's 9-3-5 (128/64). onnxruntime runs a 'same'
zero-padded Conv graph (as ../shared/bench/peers.py builds it) and, for the record, a graph with
edge Pad nodes, the semantics srcnn computes (replicate padding at every layer).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

MODELS = {"9-1-5": ([9, 1, 5], [64, 32]), "9-5-5": ([9, 5, 5], [64, 32]), "9-3-5": ([9, 3, 5], [128, 64])}


def random_layers(kernels, filters, seed):
    rng = np.random.default_rng(seed)
    layers, cin = [], 1
    for i, k in enumerate(kernels):
        cout = filters[i] if i < len(filters) else 1
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
        layers.append((w, b))
        cin = cout
    return layers


def write_safetensors(path, layers, meta):
    """The safetensors layout by hand (no extra package): u64 header length, JSON header, raw F32 data."""
    header, blobs, off = {"__metadata__": meta}, [], 0
    for i, (w, b) in enumerate(layers, 1):
        for name, t in ((f"conv{i}_w", w), (f"conv{i}_b", b)):
            raw = np.ascontiguousarray(t, dtype="<f4").tobytes()
            header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
            blobs.append(raw)
            off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def onnx_model(layers, size, edge):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes, inits, cur = [], [], "x"
    for i, (w, b) in enumerate(layers):
        k = w.shape[2]
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        if edge and k > 1:
            p = k // 2
            inits.append(numpy_helper.from_array(np.array([0, 0, p, p, 0, 0, p, p], dtype=np.int64), f"p{i}"))
            nodes.append(helper.make_node("Pad", [cur, f"p{i}"], [f"pad{i}"], mode="edge"))
            cur, pads = f"pad{i}", [0, 0, 0, 0]
        else:
            pads = [k // 2] * 4
        out = f"c{i}"
        nodes.append(helper.make_node("Conv", [cur, f"w{i}", f"b{i}"], [out], kernel_shape=[k, k], pads=pads))
        cur = out
        if i < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [cur], [f"r{i}"]))
            cur = f"r{i}"
    g = helper.make_graph(nodes, "srcnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, size, size])],
                          [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [1, 1, size, size])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def time_ort(model_bytes, size, threads, repeats):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(3).random((1, 1, size, size), dtype=np.float32)
    for _ in range(3):
        sess.run(None, {"x": x})
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sess.run(None, {"x": x})
        ts.append(time.perf_counter() - t0)
    return size * size / sorted(ts)[len(ts) // 2] / 1e6, ort.__version__


def sgemm_peak(threads):
    """numpy/OpenBLAS 2048^2 sgemm GFLOP/s with `threads` threads (best of a few), in a subprocess."""
    code = ("import numpy as np,time\n"
            "a=np.random.rand(2048,2048).astype(np.float32);b=a.copy();a@b\n"
            "best=0\n"
            "for _ in range(5):\n"
            "  t=time.perf_counter();a@b;best=max(best,2*2048**3/(time.perf_counter()-t)/1e9)\n"
            "print(best)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    return float(subprocess.check_output([sys.executable, "-c", code], env=env))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--srcnn", default=os.path.join(root, ".build", "release", "srcnn"))
    ap.add_argument("--sizes", default="512,1024")
    ap.add_argument("--models", default="9-1-5,9-5-5,9-3-5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="also write the rows here")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    peak = sgemm_peak(a.threads)
    env_note = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"sgemm peak (numpy/OpenBLAS 2048^2, {a.threads} threads): {peak:.0f} GFLOP/s; env {env_note}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            ks, fs = MODELS[name]
            layers = random_layers(ks, fs, seed=1)
            flops = sum(2 * w.size for w, _ in layers)       # per output pixel
            path = os.path.join(tmp, f"{name}.safetensors")
            write_safetensors(path, layers, {"scale": "2", "architecture": name})
            out = subprocess.run([a.srcnn, "bench", "--weights", path, "--sizes", a.sizes, "--json",
                                  "--threads", str(a.threads), "--repeats", str(a.repeats)],
                                 check=True, capture_output=True, text=True).stdout
            ours = {r["side"]: r for r in map(json.loads, out.strip().splitlines())}
            for size in sizes:
                ort_same, ver = time_ort(onnx_model(layers, size, edge=False), size, a.threads, a.repeats)
                ort_edge, _ = time_ort(onnx_model(layers, size, edge=True), size, a.threads, a.repeats)
                r = ours[size]
                rows.append(dict(model=name, size=size, srcnn_mps=r["mps"], ort_mps=ort_same, ort_edge_mps=ort_edge,
                                 ratio=r["mps"] / ort_same, srcnn_gflops=r["mps"] * flops / 1e3,
                                 ort_gflops=ort_same * flops / 1e3, peak_gflops=peak,
                                 srcnn_max_abs_diff_vs_reference=r["max_abs_diff_vs_reference"],
                                 kernels=r.get("kernels"), ort_version=ver))
    print(f"\n| model | size | srcnn MP/s | onnxruntime MP/s (same pad) | ratio | ort edge-pad MP/s | srcnn GFLOP/s | % of sgemm peak | ort % peak | srcnn max abs diff vs reference |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['size']}² | {r['srcnn_mps']:.2f} | {r['ort_mps']:.2f} | {r['ratio']:.2f}x | "
              f"{r['ort_edge_mps']:.2f} | {r['srcnn_gflops']:.0f} | {100 * r['srcnn_gflops'] / peak:.0f}% | "
              f"{100 * r['ort_gflops'] / peak:.0f}% | {r['srcnn_max_abs_diff_vs_reference']:.1e} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
