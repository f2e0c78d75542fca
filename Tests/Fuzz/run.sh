#!/usr/bin/env bash
# Tests/Fuzz/run.sh [SECONDS]: build the libFuzzer harnesses (swiftc/clang -sanitize=fuzzer,address), replay the
# regression inputs, then fuzz each harness for SECONDS (default 20) from seed corpora made from our own files,
# with a fixed seed. Exits non-zero on any crash, leak or sanitizer report; crashing inputs are kept in
# .build-fuzz/crashes/<harness>/ (add them to Tests/Fuzz/regressions/<harness>/ once fixed).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-20}"
OUT=.build-fuzz
mkdir -p "$OUT/bin" "$OUT/crashes"
S=Sources/SRCNN
SAN=(-sanitize=fuzzer,address -parse-as-library -O)
echo "fuzz: building harnesses"
rm -f "$OUT/bin/json" "$OUT/bin/weights" "$OUT/bin/image" "$OUT/bin/checkpoint"
swiftc "${SAN[@]}" $S/JSON.swift Tests/Fuzz/fuzz_json.swift -o "$OUT/bin/json" 2>&1 | grep -v "Cannot export local symbol" || true
swiftc "${SAN[@]}" $S/JSON.swift $S/Safetensors.swift $S/WeightsFile.swift $S/Network.swift $S/Progress.swift \
  $S/FSRCNN.swift $S/Plane.swift Tests/Fuzz/fuzz_weights.swift -o "$OUT/bin/weights" 2>&1 \
  | grep -v "Cannot export local symbol" || true
clang -g -O1 -fsanitize=fuzzer,address -ISources/CVipsIO/include $(pkg-config --cflags vips) \
  Sources/CVipsIO/vips_io_*.c Tests/Fuzz/fuzz_image.c $(pkg-config --libs vips gmodule-2.0) -o "$OUT/bin/image" 2>&1 \
  | grep -v "Cannot export local symbol" || true
# The checkpoint harness needs the trainer's module graph: SwiftPM builds it (debug, so Swift's own checks stay on)
# in its own scratch folder, libFuzzer's driver reached through CFuzzDriver.
rm -f .build-fuzz-spm/debug/fuzz-checkpoint
if swift build --scratch-path .build-fuzz-spm --product fuzz-checkpoint -Xswiftc -sanitize=fuzzer,address \
     -Xcc -DSRCNN_FUZZING > "$OUT/checkpoint-build.log" 2>&1; then
  cp .build-fuzz-spm/debug/fuzz-checkpoint "$OUT/bin/checkpoint"
else
  grep -E "error" "$OUT/checkpoint-build.log" | head -20
fi
HARNESSES=(json weights image checkpoint)
for h in "${HARNESSES[@]}"; do
  [ -x "$OUT/bin/$h" ] || { echo "fuzz: the $h harness did not build (errors above)"; exit 1; }
done

# Seed corpora from our own files.
for h in "${HARNESSES[@]}"; do rm -rf "$OUT/corpus/$h"; mkdir -p "$OUT/corpus/$h"; done
"$OUT/bin/checkpoint" --make-seeds "$OUT/corpus/checkpoint"   # small checkpoints of both families, each decodes
for w in Weights/*.safetensors; do
  cp "$w" "$OUT/corpus/weights/"
  python3 - "$w" "$OUT/corpus/json/$(basename "$w").json" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; open(sys.argv[2], 'wb').write(b[8:8 + n])
PY
done
printf '{"a":[1,2.5e-3,"\\u00e9",true,null,{}]}' > "$OUT/corpus/json/handmade.json"
# Small weights files (3-1-3 with 2/2 filters, F32 and F16, with metadata): fast to parse, so the fuzzer explores.
python3 - "$OUT/corpus/weights" <<'PY'
import json, struct, sys
def write(path, dtype):
    shapes = {"conv1_w": [2, 1, 3, 3], "conv1_b": [2], "conv2_w": [2, 2, 1, 1], "conv2_b": [2],
              "conv3_w": [1, 2, 3, 3], "conv3_b": [1]}
    size = 2 if dtype == "F16" else 4
    header, data, off = {"__metadata__": {"scale": "2", "architecture": "3-1-3 (2/2)"}}, b"", 0
    for name in sorted(shapes):
        n = 1
        for d in shapes[name]: n *= d
        vals = [((i * 37) % 11 - 5) / 10 for i in range(n)]
        blob = struct.pack("<%d%s" % (n, "e" if dtype == "F16" else "f"), *vals)
        header[name] = {"dtype": dtype, "shape": shapes[name], "data_offsets": [off, off + len(blob)]}
        data += blob; off += len(blob)
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
write(sys.argv[1] + "/tiny-f32.safetensors", "F32")
# A tiny FSRCNN (5x5 1->2 PReLU, 1x1 2->2 PReLU, 3x3 deconvolution stride 2).
shapes = {"conv1_w": [2, 1, 5, 5], "conv1_b": [2], "prelu1": [2], "conv2_w": [2, 2, 1, 1], "conv2_b": [2],
          "prelu2": [2], "deconv_w": [2, 1, 3, 3], "deconv_b": [1]}
header, data, off = {"__metadata__": {"family": "fsrcnn", "scale": "2"}}, b"", 0
for name in sorted(shapes):
    n = 1
    for d in shapes[name]: n *= d
    blob = struct.pack("<%df" % n, *[((i * 37) % 11 - 5) / 10 for i in range(n)])
    header[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [off, off + len(blob)]}
    data += blob; off += len(blob)
h = json.dumps(header).encode()
open(sys.argv[1] + "/tiny-fsrcnn.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
write(sys.argv[1] + "/tiny-f16.safetensors", "F16")
PY
if command -v vips >/dev/null; then
  vips black "$OUT/b.v" 12 9 --bands 3
  vips linear "$OUT/b.v" "$OUT/g.v" 1 100 --uchar
  for ext in png jpg tif webp gif; do vips copy "$OUT/g.v" "$OUT/corpus/image/seed.$ext"; done
  vips copy "$OUT/g.v" "$OUT/corpus/image/seed16.png[bitdepth=16]"
  rm -f "$OUT/b.v" "$OUT/g.v"
fi

status=0
for h in "${HARNESSES[@]}"; do
  reg="Tests/Fuzz/regressions/$h"
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
    echo "fuzz: $h: replaying $(ls "$reg" | wc -l) regression input(s)"
    "$OUT/bin/$h" "$reg"/* >"$OUT/$h-regressions.log" 2>&1 || { cat "$OUT/$h-regressions.log"; status=1; }
  fi
  mkdir -p "$OUT/crashes/$h"
  echo "fuzz: $h: ${SECS}s, seed 1"
  case $h in weights) max=4096 ;; checkpoint) max=16384 ;; *) max=65536 ;; esac
  if ! "$OUT/bin/$h" -seed=1 -max_total_time="$SECS" -max_len="$max" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$OUT/crashes/$h/" "$OUT/corpus/$h" >"$OUT/$h.log" 2>&1; then
    tail -40 "$OUT/$h.log"; status=1
  fi
  grep -E "^stat::number_of_executed_units|^#[0-9]+ *DONE" "$OUT/$h.log" | tail -2 | sed "s/^/fuzz: $h: /"
done
[ $status -eq 0 ] && echo "fuzz: no crashes" || echo "fuzz: FAILED (inputs in $OUT/crashes)"
exit $status
