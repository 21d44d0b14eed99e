"""The codec registry: what a codec is, the names it is known by, and the arrays it is given.

A codec is a payload layout: an ``encode`` and a ``decode`` function over plain per-layer numpy
arrays, registered under a name (:data:`CODECS`, :func:`register_codec`) that the file header
records. :func:`check_network` turns a ticket (tensors or arrays) into the arrays every codec
expects. The compression chapter introduces the codecs; :mod:`lthsiren.codecs` says what each one
does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import LthsirenError

Shapes = list[tuple[int, int]]  # (out, in) of each layer, nn.Linear layout
NAME_BYTES = 16  # a codec's name fills at most this many bytes of the header
F32 = np.dtype("<f4")
F16 = np.dtype("<f2")
I32 = np.dtype("<i4")
U8, U16, U32 = np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4")


@dataclass(frozen=True)
class Codec:
    """One payload layout.

    ``encode(weights, biases, masks) -> bytes`` gets per-layer numpy arrays (float32 weights
    ``[out, in]`` with pruned entries already zero, float32 biases ``[out]``, bool masks).
    ``decode(payload, shapes) -> (weights, biases, masks)`` inverts it and raises ``ValueError``
    with a short reason if the payload does not fit the shapes. ``payload_size(survivors,
    weights, biases)`` is the payload's length in bytes, the codec's arithmetic, or ``None`` for
    a codec whose size depends on the contents (then :func:`size_report` encodes to measure).
    ``lossless``: whether decoding gives back the very same survivors and biases.
    """

    name: str
    encode: Callable[[list[np.ndarray], list[np.ndarray], list[np.ndarray]], bytes]
    decode: Callable[[bytes, Shapes], tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]]
    payload_size: Callable[[int, int, int], int] | None
    summary: str = ""
    lossless: bool = True


CODECS: dict[str, Codec] = {}


def register_codec(codec: Codec) -> Codec:
    """Add ``codec`` to :data:`CODECS` (its name must be new, ASCII, at most 16 characters)."""
    raw = codec.name.encode("ascii")
    if not raw or len(raw) > NAME_BYTES or b"\0" in raw:
        raise ValueError(f"codec name {codec.name!r} must be 1 to {NAME_BYTES} ASCII characters")
    if codec.name in CODECS:
        raise ValueError(f"a codec named {codec.name!r} is already registered")
    CODECS[codec.name] = codec
    return codec


BEST = {"best": "the smallest file of the lossless codecs", "best-lossy": "the smallest of all"}


def get_codec(name: str) -> Codec:
    if name not in CODECS:
        raise LthsirenError(
            f"unknown codec {name!r}: choose from {', '.join([*CODECS, *BEST])} "
            "(lthsiren export --list-codecs describes them)"
        )
    return CODECS[name]


def payload_limit(shapes: Shapes) -> int:
    """More bytes than any codec's payload for a network of ``shapes`` can hold (8 per weight
    and per bias, plus each layer's tags, counts and scales): the bound on a declared payload
    and on what a packed payload may unpack to."""
    return 64 + sum(16 + 8 * o + 8 * o * i for o, i in shapes)


def read(payload: bytes, offset: int, dtype: np.dtype, count: int) -> tuple[np.ndarray, int]:
    """``count`` items of ``dtype`` from ``payload`` at ``offset``, and the offset after them."""
    end = offset + count * dtype.itemsize
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset), end


def split(flat: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(flat, np.cumsum(sizes)[:-1]) if sizes else []


def as_array(x, dtype) -> np.ndarray:
    if torch.is_tensor(x):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(x), dtype=dtype)


def check_network(params, mask) -> tuple[list, list, list]:
    """Per-layer numpy weights (pruned entries set to +0.0), biases and masks of one ticket."""
    if not params:
        raise LthsirenError("cannot encode an empty network: pass [(W, b), ...] with one layer+")
    if mask is not None and len(mask) != len(params):
        raise LthsirenError(f"mask has {len(mask)} layers but the network has {len(params)}")
    weights, biases, masks = [], [], []
    for l, (w, b) in enumerate(params):
        w, b = as_array(w, F32), as_array(b, F32)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise LthsirenError(
                f"layer {l}: expected W [out, in] and b [out] of one ticket, got shapes "
                f"{tuple(w.shape)} and {tuple(b.shape)} (for batched tensors pick one ticket "
                "with lthsiren.network.ticket.unstack)"
            )
        if l > 0 and w.shape[1] != weights[-1].shape[0]:
            raise LthsirenError(
                f"layer {l} takes {w.shape[1]} inputs but layer {l - 1} has {weights[-1].shape[0]}"
                " outputs"
            )
        m = np.ones(w.shape, dtype=bool) if mask is None else as_array(mask[l], bool)
        if m.shape != w.shape:
            raise LthsirenError(
                f"layer {l}: mask shape {tuple(m.shape)} does not match weight {tuple(w.shape)}"
            )
        # A pruned weight is stored as +0.0 whatever the array held there: the file describes
        # the masked network (and -0.0 would not be bit-identical to the zero decode gives).
        weights.append(np.where(m, w, np.float32(0.0)).astype(F32))
        biases.append(b)
        masks.append(m)
    if sum(w.size for w in weights) >= 2**31:
        raise LthsirenError("network too large: int32 flat indices address < 2**31 weights")
    return weights, biases, masks
