#!/usr/bin/env python3
"""Generate resize.json: expected MATLAB imresize / rgb2ycbcr values for ResizeTests and ColourTests.

The expected values come from the independent reference /work/shared/tools/srref.py
(found as ../shared/tools relative to the package root). Run from anywhere:

    python3 Tests/SRCNNTests/Fixtures/make_fixtures.py

Inputs are deterministic pseudo-random float32 values (so the Swift Float planes hold exactly
the numbers the reference saw); outputs are the reference's float64 results.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, '..', 'shared', 'tools'))
import srref  # noqa: E402


def plane(h, w, seed):
    """Float32-exact pseudo-random values in [0, 1), shape (h, w)."""
    return np.random.RandomState(seed).rand(h, w).astype(np.float32).astype(np.float64)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def resize_cases():
    inputs = {
        '7x5': plane(5, 7, 1),      # width 7, height 5
        '13x11': plane(11, 13, 2),
        '16x12': plane(12, 16, 3),
        '1x9': plane(9, 1, 4),      # a single column
        '9x1': plane(1, 9, 5),      # a single row
        '1x1': plane(1, 1, 6),
    }
    scales = [2, 3, 4, 1 / 2, 1 / 3, 1 / 4, 1.5, 0.7, 1]
    sizes = [(10, 3), (3, 10), (20, 7), (5, 5), (1, 4), (14, 1)]   # (width, height)
    cases = []
    for name, img in inputs.items():
        h, w = img.shape
        for s in scales:
            out = srref.imresize(img, scale=s)
            cases.append({'name': f'{name} scale {s:.6g}', 'width': w, 'height': h, 'input': flat(img),
                          'scale': s, 'outWidth': int(out.shape[1]), 'outHeight': int(out.shape[0]),
                          'output': flat(out)})
        for ow, oh in sizes + [(w, h)]:
            out = srref.imresize(img, output_shape=(oh, ow))
            assert out.shape == (oh, ow)
            cases.append({'name': f'{name} to {ow}x{oh}', 'width': w, 'height': h, 'input': flat(img),
                          'scale': None, 'outWidth': ow, 'outHeight': oh, 'output': flat(out)})
    return cases


def colour_case():
    rng = np.random.RandomState(7)
    rgb = rng.rand(6, 8, 3).astype(np.float32).astype(np.float64)
    # corners of the RGB cube too
    corners = np.array([[[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]]],
                       dtype=np.float64)
    rgb = np.concatenate([rgb, corners], axis=0)                  # 7 rows x 8 columns
    ycc = srref.rgb2ycbcr(rgb)
    back = srref.ycbcr2rgb(ycc.astype(np.float32).astype(np.float64))
    return {'width': 8, 'height': 7,
            'r': flat(rgb[..., 0]), 'g': flat(rgb[..., 1]), 'b': flat(rgb[..., 2]),
            'y': flat(ycc[..., 0]), 'cb': flat(ycc[..., 1]), 'cr': flat(ycc[..., 2]),
            # ycbcr2rgb of the Float-rounded y/cb/cr above
            'r2': flat(back[..., 0]), 'g2': flat(back[..., 1]), 'b2': flat(back[..., 2])}


def luma_case():
    """uint8 RGB -> uint8 Y; includes exact .5 ties, where the evaluation order decides."""
    rng = np.random.RandomState(8)
    px = [tuple(int(v) for v in rng.randint(0, 256, 3)) for _ in range(200)]
    px += [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255)]
    # exact ties: 65.481 R + 128.553 G + 24.966 B == 255 (k + 1/2)
    r = np.arange(256, dtype=np.int64)
    R, G = np.meshgrid(r, r, indexing='ij')
    ties = []
    for B in range(256):
        s = 65481 * R + 128553 * G + 24966 * B
        for i, j in zip(*np.nonzero(s % 255000 == 127500)):
            ties.append((int(i), int(j), B))
    px += ties
    arr = np.array(px, dtype=np.uint8)[None]                      # 1 x N x 3
    y = srref.rgb2ycbcr(arr)[0, :, 0]
    return {'count': len(px), 'ties': len(ties),
            'r': [p[0] for p in px], 'g': [p[1] for p in px], 'b': [p[2] for p in px],
            'y': [int(v) for v in y]}


def main():
    data = {'generator': 'Tests/SRCNNTests/Fixtures/make_fixtures.py via shared/tools/srref.py',
            'resize': resize_cases(), 'colour': colour_case(), 'luma': luma_case()}
    path = os.path.join(HERE, 'resize.json')
    with open(path, 'w') as fh:
        json.dump(data, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'{path}: {len(data["resize"])} resize cases, {data["luma"]["count"]} luma pixels '
          f'({data["luma"]["ties"]} ties)')


if __name__ == '__main__':
    main()
