#!/usr/bin/env python3
"""FSRCNN forward pass: ours (`srcnn bench`) against onnxruntime and OpenVINO running the same network as an ONNX
graph (edge Pad, Conv, PRelu, ConvTranspose, Slice) on the same weights, 2 threads, in one run.

    VENV/bin/python Tests/Benchmarks/fsrcnn_vs_peers.py [--scale 3] [--side 1020] [--threads 2] [--srcnn BIN]

VENV: ../shared/bench/install_timed.sh VENV, plus `VENV/bin/pip install openvino`. Unset OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE only for benchmark runs (`env -u ...`). Prints lscpu's model, MP/s of output per runtime, ours
against each, and each runtime's max |difference| from our output on the same input.
"""
import argparse, json, os, struct, subprocess, sys, tempfile, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fsrcnn_weights(scale, d=56, s=12, m=4, seed=1):
    """FSRCNN(d, s, m) with He-normal convolutions, PReLU 0.25 and a bicubic-sized deconvolution."""
    rng = np.random.default_rng(seed)
    layers = [(1, d, 5), (d, s, 1)] + [(s, s, 3)] * m + [(s, d, 1)]
    t = {}
    for i, (cin, cout, k) in enumerate(layers, 1):
        t[f"conv{i}_w"] = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / (cin * k * k))).astype(np.float32)
        t[f"conv{i}_b"] = (rng.standard_normal(cout) * 0.01).astype(np.float32)
        t[f"prelu{i}"] = np.full(cout, 0.25, np.float32)
    t["deconv_w"] = (rng.standard_normal((d, 1, 9, 9)) * 0.01).astype(np.float32)
    t["deconv_b"] = np.zeros(1, np.float32)
    return t, len(layers)


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        b = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def onnx_graph(t, n_body, scale, H, W):
    """The network as ONNX: per body layer an edge Pad, Conv and PRelu; the deconvolution as an edge Pad by P,
    ConvTranspose (no padding) and a Slice, which is exactly our replicate-padded transposed convolution."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes, inits, x = [], [], "x"
    for i in range(1, n_body + 1):
        w = t[f"conv{i}_w"]; k = w.shape[2]; p = k // 2
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(t[f"conv{i}_b"], f"b{i}"),
                  numpy_helper.from_array(t[f"prelu{i}"].reshape(-1, 1, 1), f"a{i}")]
        if p:
            inits.append(numpy_helper.from_array(np.array([0, 0, p, p, 0, 0, p, p], np.int64), f"pads{i}"))
            nodes.append(helper.make_node("Pad", [x, f"pads{i}"], [f"p{i}"], mode="edge")); x = f"p{i}"
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[k, k]))
        nodes.append(helper.make_node("PRelu", [f"c{i}", f"a{i}"], [f"r{i}"])); x = f"r{i}"
    k, s = 9, scale
    p = k // 2 - (s - 1) // 2
    P = max(-(-(k - 1 - p) // s), -(-p // s))
    inits += [numpy_helper.from_array(t["deconv_w"], "wd"), numpy_helper.from_array(t["deconv_b"], "bd"),
              numpy_helper.from_array(np.array([0, 0, P, P, 0, 0, P, P], np.int64), "padsd"),
              numpy_helper.from_array(np.array([p + s * P, p + s * P], np.int64), "st"),
              numpy_helper.from_array(np.array([p + s * P + s * H, p + s * P + s * W], np.int64), "en"),
              numpy_helper.from_array(np.array([2, 3], np.int64), "ax")]
    nodes += [helper.make_node("Pad", [x, "padsd"], ["pd"], mode="edge"),
              helper.make_node("ConvTranspose", ["pd", "wd", "bd"], ["dc"], kernel_shape=[k, k], strides=[s, s]),
              helper.make_node("Slice", ["dc", "st", "en", "ax"], ["y"])]
    g = helper.make_graph(nodes, "fsrcnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, H, W])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, s * H, s * W])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def timed(run, reps=7, warm=3):
    for _ in range(warm): run()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); run(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=3)
    ap.add_argument("--side", type=int, default=1020, help="output side (the LR input is side/scale)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--srcnn", default=os.path.join(ROOT, ".build/release/srcnn"))
    a = ap.parse_args()
    s, n = a.scale, a.side // a.scale
    work = tempfile.mkdtemp(prefix="fsrcnn-peers-")
    t, n_body = fsrcnn_weights(s)
    wpath = os.path.join(work, f"fsrcnn-x{s}.safetensors")
    write_safetensors(wpath, t, {"family": "fsrcnn", "scale": str(s)})
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0].strip(),
          f"| FSRCNN(56,12,4) x{s}, LR {n}x{n} -> {s * n}x{s * n}, {a.threads} threads")

    # Ours: the forward pass alone, and our output on a fixed input (float TIFF through the CLI) for the diffs.
    r = subprocess.run([a.srcnn, "bench", "--weights", wpath, "--sizes", str(s * n), "--repeats", "7", "--json", "-q",
                        "--threads", str(a.threads)], capture_output=True, text=True, check=True)
    ours = json.loads(r.stdout.strip().splitlines()[-1])
    x = np.random.default_rng(5).random((n, n), dtype=np.float32)
    x.tofile(os.path.join(work, "in.raw"))
    subprocess.run(["vips", "rawload", os.path.join(work, "in.raw"), os.path.join(work, "in.tif"), str(n), str(n), "1",
                    "--format", "float"], check=True)
    subprocess.run([a.srcnn, "upscale", os.path.join(work, "in.tif"), os.path.join(work, "out.tif"), "--scale", str(s),
                    "--weights", wpath, "-q"], check=True)
    subprocess.run(["vips", "rawsave", os.path.join(work, "out.tif"), os.path.join(work, "out.raw")], check=True)
    our_y = np.clip(np.fromfile(os.path.join(work, "out.raw"), np.float32).reshape(s * n, s * n), 0, 1)

    rows = [("ours (srcnn bench, %s kernels)" % ours["kernels"], ours["seconds"], 0.0)]
    model = onnx_graph(t, n_body, s, n, n)
    onnx_path = os.path.join(work, "fsrcnn.onnx")
    import onnx
    onnx.save(model, onnx_path)
    feed = x.reshape(1, 1, n, n)
    try:
        import onnxruntime as ort
        so = ort.SessionOptions(); so.intra_op_num_threads = a.threads; so.inter_op_num_threads = 1
        sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": feed})[0][0, 0]
        rows.append((f"onnxruntime {ort.__version__}", timed(lambda: sess.run(None, {"x": feed})),
                     float(np.abs(np.clip(y, 0, 1) - our_y).max())))
    except ImportError:
        print("onnxruntime: not installed")
    try:
        import openvino as ov
        core = ov.Core()
        for label, cfg in [("f32", {"INFERENCE_PRECISION_HINT": "f32"}), ("default", {})]:
            cfg = dict(cfg, INFERENCE_NUM_THREADS=a.threads)
            c = core.compile_model(onnx_path, "CPU", cfg)
            req = c.create_infer_request()
            y = req.infer({0: feed})[c.output(0)][0, 0]
            rows.append((f"OpenVINO {ov.__version__.split('-')[0]} {label}", timed(lambda: req.infer({0: feed})),
                         float(np.abs(np.clip(y, 0, 1) - our_y).max())))
    except ImportError:
        print("openvino: not installed")
    out_mp = (s * n) ** 2 / 1e6
    print(f"| runtime | MP/s (output) | ours / it | max abs diff from ours (output clamped to 0..1) |")
    print("|---|---|---|---|")
    for name, sec, diff in rows:
        print(f"| {name} | {out_mp / sec:.2f} | {sec / ours['seconds']:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
