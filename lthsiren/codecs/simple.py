"""The two codecs of the write-up's arithmetic, the baselines of the compression chapter.

- ``dense-f32``: every weight (pruned zeros included) and every bias as little-endian float32,
  layer by layer. At the write-up's size 198,915 * 4 B = 795,660 B of payload, whatever the
  sparsity.
- ``coo``: each surviving weight costs a float32 value plus an int32 flat index, 8 B; the biases
  (never pruned) are stored densely as float32. The payload is ``4 * biases + 8 * survivors``
  bytes, so COO beats dense exactly when fewer than half of the weights survive: the write-up's
  break-even at 50% density.
"""

from __future__ import annotations

import numpy as np

from .registry import F32, I32, Codec, Shapes, read, register_codec, split


def _dense_encode(weights, biases, masks) -> bytes:
    parts = []
    for w, b in zip(weights, biases):
        parts += [w.astype(F32).tobytes(), b.astype(F32).tobytes()]
    return b"".join(parts)


def _dense_decode(payload: bytes, shapes: Shapes):
    n_params = sum(o * i + o for o, i in shapes)
    if len(payload) != 4 * n_params:
        raise ValueError(
            f"a dense-f32 payload for these layers holds {4 * n_params} bytes, not {len(payload)}"
        )
    weights, biases, offset = [], [], 0
    for o, i in shapes:
        w, offset = read(payload, offset, F32, o * i)
        b, offset = read(payload, offset, F32, o)
        weights.append(w.reshape(o, i))
        biases.append(b)
    # The dense layout has no mask: a weight is taken as pruned when it is exactly zero.
    return weights, biases, [w != 0 for w in weights]


# coo: all biases (float32), then the survivors' flat indices (int32, ascending, into the
# row-major weight matrices laid end to end), then their values (float32).


def _coo_encode(weights, biases, masks) -> bytes:
    flat_w = np.concatenate([w.reshape(-1) for w in weights]).astype(F32)
    index = np.flatnonzero(np.concatenate([m.reshape(-1) for m in masks])).astype(I32)
    flat_b = np.concatenate(biases).astype(F32)
    return flat_b.tobytes() + index.tobytes() + flat_w[index].tobytes()


def _coo_decode(payload: bytes, shapes: Shapes):
    sizes = [o * i for o, i in shapes]
    n_weights, n_biases = sum(sizes), sum(o for o, _ in shapes)
    rest = len(payload) - 4 * n_biases
    if rest < 0 or rest % 8:
        raise ValueError(
            f"a coo payload for these layers holds 4 * {n_biases} bias bytes plus 8 bytes per "
            f"surviving weight, which {len(payload)} bytes is not"
        )
    survivors = rest // 8
    flat_b, offset = read(payload, 0, F32, n_biases)
    index, offset = read(payload, offset, I32, survivors)
    values, _ = read(payload, offset, F32, survivors)
    if survivors and (index[0] < 0 or index[-1] >= n_weights or np.any(np.diff(index) <= 0)):
        raise ValueError(f"its weight indices are not ascending within [0, {n_weights})")
    flat_w = np.zeros(n_weights, dtype=F32)
    flat_w[index] = values
    flat_m = np.zeros(n_weights, dtype=bool)
    flat_m[index] = True
    weights = [w.reshape(s) for w, s in zip(split(flat_w, sizes), shapes)]
    masks = [m.reshape(s) for m, s in zip(split(flat_m, sizes), shapes)]
    return weights, split(flat_b, [o for o, _ in shapes]), masks


DENSE_F32 = register_codec(
    Codec(
        "dense-f32",
        _dense_encode,
        _dense_decode,
        lambda survivors, weights, biases: 4 * (weights + biases),
        "every weight and bias as float32 (the baseline)",
    )
)
COO = register_codec(
    Codec(
        "coo",
        _coo_encode,
        _coo_decode,
        lambda survivors, weights, biases: 8 * survivors + 4 * biases,
        "float32 value + int32 flat index per surviving weight, biases dense float32",
    )
)
