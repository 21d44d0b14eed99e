"""Storing a ticket: one SIREN (its weights, mask and omega_0) written to a small file and read
back.

A winning ticket keeps about 1% of its weights, and the rest are exactly zero; this module turns
that into bytes you can measure. A file is a fixed header followed by a payload whose layout a
*codec* decides. The two codecs of the write-up's arithmetic are the baselines:

- ``dense-f32``: every weight (pruned zeros included) and every bias as little-endian float32,
  layer by layer. At the SPEC size 198,915 * 4 B = 795,660 B of payload, whatever the sparsity.
- ``coo``: the SPEC's arithmetic made real. Each surviving weight costs a float32 value plus an
  int32 flat index, 8 B; the biases (never pruned) are stored densely as float32. The payload is
  ``4 * biases + 8 * survivors`` bytes, so COO beats dense exactly when fewer than half of the
  weights survive (the bias terms cancel): the SPEC's break-even at 50% density. The SPEC's
  "~2,386 survivors -> ~19.1 KB, ~40x" counts the 8 B per survivor only; a file that can be
  decoded on its own also holds the biases (1,027 * 4 B at the SPEC size) and the header, and
  :func:`size_report` gives both figures.

The ``csr-*`` family does better. Each layer's mask is written as whichever of three index
layouts is smallest for it: CSR (a count per row, i.e. delta-coded row pointers, then each row's
column indices delta-coded as gaps), flat gaps (the gaps between survivors' positions in the
row-major layer, for very sparse layers), or a bitmask (one bit per weight, for dense layers);
counts and gaps go in the narrowest unsigned type that holds them (uint8, uint16 or uint32).
The values follow, in one of three forms:

- ``csr-f32``: survivors and biases as float32 (lossless: bit-identical);
- ``csr-f16``: survivors and biases as float16 (lossy);
- ``csr-q8``: survivors as 8-bit codes of a linear quantiser per layer (``lo + code * step``,
  ``lo`` and ``step`` stored as float32), biases as float16 (lossy; every sine layer multiplies
  its biases by omega_0, and on the laptop preset's dense round 8-bit biases cost 5 dB more
  than 8-bit weights alone).

Multi-byte values are stored byte-plane by byte-plane (all first bytes, then all second bytes,
...), which changes nothing by itself but lets an entropy coder see that the sign/exponent bytes
repeat. A ``+zlib`` (raw deflate, level 9) or ``+lzma`` (raw LZMA2, preset 9e) suffix passes the
whole payload through that standard-library coder. The lossy codecs also drop what cannot
change the image: weights into, and biases of, hidden neurons with no path to the output (their
outputs are multiplied by pruned zeros), so a decoded lossy file may report fewer survivors.
``encode(..., codec="best")`` tries every lossless codec and keeps the smallest file;
``"best-lossy"`` tries all of them.

The header makes every file self-describing, so :func:`decode` needs nothing else: magic bytes
``LTHSIREN``, the format version, the codec name, omega_0, the layer shapes, the payload length
and a CRC-32 of header and payload. A file that is truncated, damaged, of another format version,
or not an lthsiren file at all raises :class:`~lthsiren.errors.LthsirenError` with one line naming
the problem, and so does a payload that passes the checksum but does not describe a network of
the header's shapes. The lossless codecs give the weights back bit-identical.

Codecs live in a registry (:data:`CODECS`, :func:`register_codec`), a name mapped to an encode
and a decode function over plain numpy arrays. :func:`render` draws a decoded network the way
the training engine does, so its PSNR can be compared with the stored one, at any resolution.
Notebook 05 introduces this module; :mod:`lthsiren.ratedistortion` compares it with JPEG and
WebP, and :mod:`lthsiren.compact` turns a sparse ticket into a smaller dense network.
"""

from __future__ import annotations

import lzma
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import LthsirenError
from .pruning import TICKET_NAMES

Params = list[tuple[torch.Tensor, torch.Tensor]]
Shapes = list[tuple[int, int]]  # (out, in) of each layer, nn.Linear layout

MAGIC = b"LTHSIREN"
FORMAT_VERSION = 1
SUFFIX = ".lths"

# The header, little-endian: magic, version, codec name (ASCII, NUL-padded), omega_0, number of
# layers; then (out, in) per layer; then the payload length and the CRC-32 of everything before
# the CRC field plus the payload.
_HEAD = struct.Struct("<8sH16sdH")
_SHAPE = struct.Struct("<II")
_TAIL = struct.Struct("<QI")
_NAME_BYTES = 16
F32 = np.dtype("<f4")
F16 = np.dtype("<f2")
I32 = np.dtype("<i4")
U8, U16, U32 = np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4")


def header_size(n_layers: int) -> int:
    """Bytes of the header of a network with ``n_layers`` layers (88 for the 5-layer SIREN)."""
    return _HEAD.size + n_layers * _SHAPE.size + _TAIL.size


# -- the codec registry ------------------------------------------------------------------------


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
    if not raw or len(raw) > _NAME_BYTES or b"\0" in raw:
        raise ValueError(f"codec name {codec.name!r} must be 1 to {_NAME_BYTES} ASCII characters")
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


def _read(payload: bytes, offset: int, dtype: np.dtype, count: int) -> tuple[np.ndarray, int]:
    """``count`` items of ``dtype`` from ``payload`` at ``offset``, and the offset after them."""
    end = offset + count * dtype.itemsize
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset), end


def _split(flat: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(flat, np.cumsum(sizes)[:-1]) if sizes else []


# dense-f32: W_0, b_0, W_1, b_1, ... as float32.


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
        w, offset = _read(payload, offset, F32, o * i)
        b, offset = _read(payload, offset, F32, o)
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
    flat_b, offset = _read(payload, 0, F32, n_biases)
    index, offset = _read(payload, offset, I32, survivors)
    values, _ = _read(payload, offset, F32, survivors)
    if survivors and (index[0] < 0 or index[-1] >= n_weights or np.any(np.diff(index) <= 0)):
        raise ValueError(f"its weight indices are not ascending within [0, {n_weights})")
    flat_w = np.zeros(n_weights, dtype=F32)
    flat_w[index] = values
    flat_m = np.zeros(n_weights, dtype=bool)
    flat_m[index] = True
    weights = [w.reshape(s) for w, s in zip(_split(flat_w, sizes), shapes)]
    masks = [m.reshape(s) for m, s in zip(_split(flat_m, sizes), shapes)]
    return weights, _split(flat_b, [o for o, _ in shapes]), masks


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


# -- the csr family ----------------------------------------------------------------------------
#
# payload = one index block per layer, then the values. An index block starts with a tag byte:
# bits 0-1 the layout (0 bitmask, 1 CSR, 2 flat gaps), bits 2-3 and 4-5 the widths of its count
# and gap arrays (0 uint8, 1 uint16, 2 uint32).
#   bitmask: ceil(out * in / 8) bytes, np.packbits of the row-major mask (tag 0);
#   CSR:     out row counts, then for each row its columns as gaps (the first column, then
#            each column minus the previous one minus 1);
#   gaps:    the survivor count (one integer), then the gaps between the survivors' row-major
#            positions, coded the same way.
# Values, f32:  survivors (row-major, layer after layer) as float32, then every bias as float32;
#         f16:  the same as float16;
#         q8:   (lo, step) float32 per layer, then one uint8 code per survivor, then biases f16.
# Every multi-byte array is written byte-plane by byte-plane. The lossy forms store the biases
# of the hidden neurons that reach the output only (the others decode as 0).

_UINTS = (U8, U16, U32)
_BITMASK, _CSR, _GAPS = 0, 1, 2


def _uint_code(largest: int) -> int:
    """The narrowest of uint8/16/32 (0/1/2) that holds ``largest``."""
    return 0 if largest < 2**8 else 1 if largest < 2**16 else 2


class _Reader:
    """Reads typed arrays off a payload; running past its end is a ``ValueError``."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        count = int(count)
        end = self.pos + count * dtype.itemsize
        if count < 0 or end > len(self.data):
            raise ValueError(f"its payload ends inside {what}")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos = end
        return out

    def planes(self, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        """``count`` items written by :func:`_planes`."""
        raw = self.take(U8, count * dtype.itemsize, what)
        return raw.reshape(dtype.itemsize, count).T.copy().view(dtype).reshape(-1)

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise ValueError(f"{len(self.data) - self.pos} byte(s) follow the last value")


def _planes(a: np.ndarray) -> bytes:
    """A little-endian array's bytes, all first bytes first, then all second bytes, ..."""
    return np.ascontiguousarray(a).view(U8).reshape(-1, a.dtype.itemsize).T.tobytes()


def _gaps_of(positions: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """Ascending positions -> gaps (``p[0]``, then ``p[i] - p[i-1] - 1``); where ``starts`` is
    True a new run begins and the gap is the position itself."""
    prev = np.concatenate(([-1], positions[:-1])).astype(np.int64)
    if starts is not None:
        prev[starts] = -1
    return positions - prev - 1


def _index_block(m: np.ndarray) -> bytes:
    """The smallest of the three layouts for one layer's mask."""
    out, n_in = m.shape
    blocks = [bytes([_BITMASK]) + np.packbits(m.reshape(-1)).tobytes()]
    rows, cols = np.nonzero(m)
    counts = m.sum(axis=1)
    new_row = np.concatenate(([True], rows[1:] != rows[:-1]))
    gaps = _gaps_of(cols.astype(np.int64), new_row)
    cc, gc = _uint_code(int(counts.max())), _uint_code(int(gaps.max()) if gaps.size else 0)
    blocks.append(
        bytes([_CSR | cc << 2 | gc << 4])
        + counts.astype(_UINTS[cc]).tobytes()
        + gaps.astype(_UINTS[gc]).tobytes()
    )
    flat = np.flatnonzero(m)
    gaps = _gaps_of(flat.astype(np.int64))
    nc, gc = _uint_code(flat.size), _uint_code(int(gaps.max()) if gaps.size else 0)
    blocks.append(
        bytes([_GAPS | nc << 2 | gc << 4])
        + np.array([flat.size], dtype=_UINTS[nc]).tobytes()
        + gaps.astype(_UINTS[gc]).tobytes()
    )
    return min(blocks, key=len)


def _read_index_block(r: _Reader, shape: tuple[int, int], l: int) -> np.ndarray:
    out, n_in = shape
    size = out * n_in
    what = f"the index of layer {l}"
    tag = int(r.take(U8, 1, what)[0])
    layout, cc, gc = tag & 3, tag >> 2 & 3, tag >> 4 & 3
    if tag >> 6 or layout > _GAPS or cc > 2 or gc > 2 or (layout == _BITMASK and tag):
        raise ValueError(f"layer {l} has an unknown index layout (tag byte {tag})")
    if layout == _BITMASK:
        bits = np.unpackbits(r.take(U8, -(-size // 8), what))
        if bits[size:].any():
            raise ValueError(f"the bitmask of layer {l} has bits set past its {size} weights")
        return bits[:size].astype(bool).reshape(out, n_in)
    if layout == _CSR:
        counts = r.take(_UINTS[cc], out, what).astype(np.int64)
        if counts.size and counts.max() > n_in:
            raise ValueError(f"a row of layer {l} claims more than its {n_in} weights")
        nnz = int(counts.sum())
        step = r.take(_UINTS[gc], nnz, what).astype(np.int64) + 1
        ends = np.cumsum(step)
        row_base = np.concatenate(([0], ends))[np.cumsum(counts) - counts]
        cols = ends - np.repeat(row_base, counts) - 1
        if nnz and cols.max() >= n_in:
            raise ValueError(f"a column index of layer {l} is not below its {n_in} inputs")
        flat = np.repeat(np.arange(out, dtype=np.int64) * n_in, counts) + cols
    else:
        nnz = int(r.take(_UINTS[cc], 1, what)[0])
        if nnz > size:
            raise ValueError(f"layer {l} claims {nnz} survivors of {size} weights")
        flat = np.cumsum(r.take(_UINTS[gc], nnz, what).astype(np.int64) + 1) - 1
        if nnz and flat[-1] >= size:
            raise ValueError(f"a weight index of layer {l} is not below its {size} weights")
    m = np.zeros(size, dtype=bool)
    m[flat] = True
    return m.reshape(out, n_in)


def _reaching_output(masks: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Masks keeping only the weights on some path to the output, and per layer which neurons
    reach the output (every output neuron does; a hidden neuron does when it keeps an outgoing
    weight into a neuron that does)."""
    trimmed = [m.copy() for m in masks]
    live = [np.ones(m.shape[0], dtype=bool) for m in masks]
    for l in range(len(masks) - 1, 0, -1):
        trimmed[l] &= live[l][:, None]
        live[l - 1] = trimmed[l].any(axis=0)
    trimmed[0] &= live[0][:, None]
    return trimmed, live


def _live_from(masks: list[np.ndarray]) -> list[np.ndarray]:
    """Which neurons of a trimmed network reach the output (as :func:`_reaching_output`)."""
    live = [m.any(axis=0) for m in masks[1:]]
    return live + [np.ones(masks[-1].shape[0], dtype=bool)]


def _f16(a: np.ndarray, what: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = a.astype(F16)
    if np.any(np.isinf(h) & np.isfinite(a)):
        raise LthsirenError(
            f"{what} exceed float16's range (largest |value| {float(np.abs(a).max()):.3g} > 65504);"
            " use a float32 codec"
        )
    return h


def _quantise(v: np.ndarray, l: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, step) as float32 and uint8 codes with ``lo + code * step`` within step / 2 of v."""
    if v.size == 0:
        return np.zeros(2, dtype=F32), np.zeros(0, dtype=U8)
    if not np.all(np.isfinite(v)):
        raise LthsirenError(
            f"layer {l} has a weight that is inf or nan: 8-bit codes cannot hold it"
        )
    lo = np.float32(v.min())
    step = np.float32((np.float64(v.max()) - np.float64(lo)) / 255.0)
    if not np.isfinite(step):
        raise LthsirenError(f"the weights of layer {l} span too wide a range for 8-bit codes")
    if step == 0:
        return np.array([lo, 0.0], dtype=F32), np.zeros(v.size, dtype=U8)
    codes = np.clip(np.rint((v.astype(np.float64) - lo) / np.float64(step)), 0, 255)
    return np.array([lo, step], dtype=F32), codes.astype(U8)


def _dequantise(lo_step: np.ndarray, codes: np.ndarray) -> np.ndarray:
    lo, step = lo_step.astype(F32)
    return (lo + codes.astype(F32) * step).astype(F32)


def _sparse_encode(values: str, weights, biases, masks) -> bytes:
    if values != "f32":
        masks, live = _reaching_output(masks)
        kept_b = np.concatenate([b[keep] for b, keep in zip(biases, live)]).astype(F32)
    parts = [_index_block(m) for m in masks]
    survivors = [w[m] for w, m in zip(weights, masks)]
    if values == "f32":
        parts += [_planes(np.concatenate(survivors).astype(F32)), _planes(np.concatenate(biases))]
    elif values == "f16":
        parts += [
            _planes(_f16(np.concatenate(survivors), "surviving weights")),
            _planes(_f16(kept_b, "biases")),
        ]
    else:  # q8
        quantised = [_quantise(v, l) for l, v in enumerate(survivors)]
        parts += [lo_step.tobytes() for lo_step, _ in quantised]
        parts += [codes.tobytes() for _, codes in quantised]
        parts.append(_planes(_f16(kept_b, "biases")))
    return b"".join(parts)


def _sparse_decode(values: str, payload: bytes, shapes: Shapes):
    r = _Reader(payload)
    masks = [_read_index_block(r, s, l) for l, s in enumerate(shapes)]
    counts = [int(m.sum()) for m in masks]
    n_biases = [o for o, _ in shapes]
    if values == "f32":
        flat_w = r.planes(F32, sum(counts), "the surviving weights")
        flat_b = r.planes(F32, sum(n_biases), "the biases")
        biases = _split(flat_b, n_biases)
    else:
        live = _live_from(masks)
        if values == "f16":
            flat_w = r.planes(F16, sum(counts), "the surviving weights").astype(F32)
        else:
            lo_step = [r.take(F32, 2, "the 8-bit scales") for _ in shapes]
            if any(not np.all(np.isfinite(x)) or x[1] < 0 for x in lo_step):
                raise ValueError("an 8-bit scale is negative, inf or nan")
            flat_w = np.concatenate(
                [_dequantise(x, r.take(U8, n, "the 8-bit codes")) for x, n in zip(lo_step, counts)]
            )
        kept = r.planes(F16, sum(int(k.sum()) for k in live), "the biases").astype(F32)
        biases = []
        for keep, part in zip(live, _split(kept, [int(k.sum()) for k in live])):
            b = np.zeros(keep.shape[0], dtype=F32)
            b[keep] = part
            biases.append(b)
    r.finish()
    weights = []
    for m, v in zip(masks, _split(flat_w, counts)):
        w = np.zeros(m.shape, dtype=F32)
        w[m] = v
        weights.append(w)
    return weights, biases, masks


# The entropy coders, headerless: the file's own header already says which one and its CRC
# already guards the bytes.
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


def _raw_limit(shapes: Shapes) -> int:
    """More bytes than any payload of the csr family for these shapes can hold."""
    return 64 + sum(16 + 8 * o + 8 * o * i for o, i in shapes)


def _pack(packer: str | None, raw: bytes) -> bytes:
    if packer == "zlib":
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
        return c.compress(raw) + c.flush()
    if packer == "lzma":
        return lzma.compress(raw, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    return raw


def _unpack(packer: str | None, data: bytes, shapes: Shapes) -> bytes:
    if packer is None:
        return data
    limit = _raw_limit(shapes)
    try:
        if packer == "zlib":
            d = zlib.decompressobj(-15)
            raw = d.decompress(data, limit)
            ended, rest, over = d.eof, d.unused_data, bool(d.unconsumed_tail)
        else:
            d = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
            raw = d.decompress(data, max_length=limit)
            ended, rest, over = d.eof, d.unused_data, not d.eof and not d.needs_input
    except (zlib.error, lzma.LZMAError, EOFError) as e:
        raise ValueError(f"its {packer} stream does not decompress ({e})") from None
    if over or len(raw) >= limit:
        raise ValueError(f"its {packer} stream unpacks to more than any network of its shapes")
    if not ended:
        raise ValueError(f"its {packer} stream stops before its end marker")
    if rest:
        raise ValueError(f"{len(rest)} byte(s) follow the end of its {packer} stream")
    return raw


_VALUE_FORMS = {
    "f32": ("float32 values and biases", True),
    "f16": ("float16 values and biases", False),
    "q8": ("8-bit codes per layer (lo + code * step), float16 biases", False),
}
_PACKERS = {None: "", "zlib": ", then deflate (zlib, level 9)", "lzma": ", then LZMA2 (preset 9e)"}


def _sparse_codec(values: str, packer: str | None) -> Codec:
    def enc(weights, biases, masks):
        return _pack(packer, _sparse_encode(values, weights, biases, masks))

    def dec(payload, shapes):
        return _sparse_decode(values, _unpack(packer, payload, shapes), shapes)

    what, lossless = _VALUE_FORMS[values]
    summary = f"per-layer CSR / gaps / bitmask index, {what}{_PACKERS[packer]}"
    name = f"csr-{values}" + (f"+{packer}" if packer else "")
    return Codec(name, enc, dec, None, summary, lossless)


for _values in _VALUE_FORMS:
    for _packer in _PACKERS:
        register_codec(_sparse_codec(_values, _packer))


# -- encoding ------------------------------------------------------------------------------


def _as_array(x, dtype) -> np.ndarray:
    if torch.is_tensor(x):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(x), dtype=dtype)


def _check_network(params, mask) -> tuple[list, list, list]:
    """Per-layer numpy weights (pruned entries set to +0.0), biases and masks of one ticket."""
    if not params:
        raise LthsirenError("cannot encode an empty network: pass [(W, b), ...] with one layer+")
    if mask is not None and len(mask) != len(params):
        raise LthsirenError(f"mask has {len(mask)} layers but the network has {len(params)}")
    weights, biases, masks = [], [], []
    for l, (w, b) in enumerate(params):
        w, b = _as_array(w, F32), _as_array(b, F32)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise LthsirenError(
                f"layer {l}: expected W [out, in] and b [out] of one ticket, got shapes "
                f"{tuple(w.shape)} and {tuple(b.shape)} (for batched tensors pick one ticket "
                "with lthsiren.experiment.ticket_params)"
            )
        if l > 0 and w.shape[1] != weights[-1].shape[0]:
            raise LthsirenError(
                f"layer {l} takes {w.shape[1]} inputs but layer {l - 1} has {weights[-1].shape[0]}"
                " outputs"
            )
        m = np.ones(w.shape, dtype=bool) if mask is None else _as_array(mask[l], bool)
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


def encode(params, mask=None, omega_0: float = 30.0, codec: str = "coo") -> bytes:
    """One ticket -> the bytes of a self-describing file.

    ``params`` is ``[(W [out, in], b [out]), ...]`` (tensors or arrays, stored as float32),
    ``mask`` a matching list of boolean ``[out, in]`` (``None``: every weight alive). Weights
    outside the mask are stored as zero. ``codec`` is a name in :data:`CODECS`, or ``"best"``
    (the smallest file any lossless codec makes) or ``"best-lossy"`` (the smallest of all);
    the file records the codec that made it.
    """
    if codec in BEST:
        return min(_candidates(params, mask, omega_0, lossless=codec == "best").values(), key=len)
    spec = get_codec(codec)
    weights, biases, masks = _check_network(params, mask)
    payload = spec.encode(weights, biases, masks)
    head = _HEAD.pack(
        MAGIC, FORMAT_VERSION, spec.name.encode("ascii"), float(omega_0), len(weights)
    ) + b"".join(_SHAPE.pack(*w.shape) for w in weights)
    head += struct.pack("<Q", len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + struct.pack("<I", crc) + payload


def _candidates(params, mask, omega_0: float, lossless: bool) -> dict[str, bytes]:
    """The file of every registered codec (lossless ones only if ``lossless``) that can hold
    this network, in registry order."""
    out = {}
    for name, spec in CODECS.items():
        if spec.lossless or not lossless:
            try:
                out[name] = encode(params, mask, omega_0, name)
            except LthsirenError:  # e.g. weights beyond float16's range
                if spec.lossless:
                    raise
    return out


def best_codec(params, mask=None, omega_0: float = 30.0, lossless: bool = True) -> str:
    """The name of the codec that makes the smallest file of this ticket (ties: the first
    registered), among the lossless codecs or, with ``lossless=False``, among all."""
    files = _candidates(params, mask, omega_0, lossless)
    return min(files, key=lambda name: len(files[name]))


# -- decoding ------------------------------------------------------------------------------


@dataclass
class Decoded:
    """A network read back from a file: everything needed to draw it."""

    params: Params  # [(W [out, in], b [out]), ...], float32
    mask: list[torch.Tensor]  # bool [out, in] per layer
    omega_0: float
    codec: str
    header_bytes: int
    payload_bytes: int

    @property
    def file_bytes(self) -> int:
        return self.header_bytes + self.payload_bytes

    @property
    def shapes(self) -> Shapes:
        return [tuple(w.shape) for w, _ in self.params]

    @property
    def survivors(self) -> int:
        return sum(int(m.sum()) for m in self.mask)

    @property
    def lossless(self) -> bool:
        return CODECS[self.codec].lossless


def _fail(source: str, problem: str) -> LthsirenError:
    return LthsirenError(f"{source} {problem}")


@dataclass
class _Header:
    codec: str
    omega_0: float
    shapes: Shapes
    size: int
    payload_bytes: int


def _parse_header(data: bytes, source: str) -> _Header:
    """Check magic, version, lengths and checksum; return the header's fields."""
    again = "; export the network again"
    if not data:
        raise _fail(source, "is empty, not an lthsiren network file" + again)
    if data[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(data):
            raise _fail(source, f"is truncated: only {len(data)} bytes" + again)
        raise _fail(source, f"is not an lthsiren network file (it does not start with {MAGIC!r})")
    if len(data) < _HEAD.size:
        raise _fail(source, f"is truncated: {len(data)} bytes end inside the header" + again)
    _, version, raw_name, omega_0, n_layers = _HEAD.unpack_from(data)
    if version != FORMAT_VERSION:
        raise _fail(
            source,
            f"has format version {version}, but this lthsiren reads version {FORMAT_VERSION} "
            "(written by another lthsiren version, or damaged)",
        )
    size = header_size(n_layers)
    if len(data) < size:
        raise _fail(
            source, f"is truncated: {len(data)} bytes end inside its {size}-byte header" + again
        )
    shapes = [_SHAPE.unpack_from(data, _HEAD.size + l * _SHAPE.size) for l in range(n_layers)]
    payload_bytes, crc = _TAIL.unpack_from(data, size - _TAIL.size)
    if len(data) - size < payload_bytes:
        raise _fail(
            source,
            f"is truncated: its header announces {payload_bytes} payload bytes but only "
            f"{len(data) - size} follow" + again,
        )
    extra = len(data) - size - payload_bytes
    if extra > 0:
        raise _fail(source, f"is damaged: {extra} unexpected byte(s) follow the payload" + again)
    if zlib.crc32(data[size:], zlib.crc32(data[: size - 4])) != crc:
        raise _fail(source, "is damaged: its checksum does not match its contents" + again)
    # The checksum held, so what follows is what was written; these fail only for a file made
    # by a newer lthsiren with codecs this one lacks.
    try:
        name = raw_name.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise _fail(source, "is damaged: its codec name is not ASCII" + again) from None
    if name not in CODECS:
        raise _fail(
            source, f"uses codec {name!r}, which this lthsiren lacks (it knows {', '.join(CODECS)})"
        )
    if n_layers == 0 or any(o == 0 or i == 0 for o, i in shapes):
        raise _fail(source, f"is damaged: its layer shapes {shapes} describe no network")
    if any(i != prev for (_, i), (prev, _) in zip(shapes[1:], shapes)) or (
        sum(o * i for o, i in shapes) >= 2**31
    ):
        raise _fail(source, f"is damaged: its layer shapes {shapes} do not make one network")
    return _Header(name, omega_0, [tuple(s) for s in shapes], size, payload_bytes)


def decode(data: bytes, source: str = "the data") -> Decoded:
    """Bytes made by :func:`encode` -> :class:`Decoded`. ``source`` names the data in errors."""
    data = bytes(data)
    head = _parse_header(data, source)
    payload = data[head.size :]
    try:
        weights, biases, masks = CODECS[head.codec].decode(payload, head.shapes)
    except ValueError as e:
        raise _fail(source, f"is damaged: {e}") from None
    except (IndexError, OverflowError, struct.error, zlib.error, lzma.LZMAError, EOFError) as e:
        # The codecs check what they read; this is the last line of defence for a payload that
        # passed the checksum and still surprised them.
        problem = f"is damaged: its payload does not decode ({type(e).__name__})"
        raise _fail(source, problem) from None
    except MemoryError:
        raise _fail(source, "describes a network too large to decode in this memory") from None
    params = [
        (torch.from_numpy(np.array(w, dtype=np.float32)), torch.from_numpy(np.array(b, np.float32)))
        for w, b in zip(weights, biases)
    ]
    return Decoded(
        params=params,
        mask=[torch.from_numpy(np.array(m, dtype=bool)) for m in masks],
        omega_0=head.omega_0,
        codec=head.codec,
        header_bytes=head.size,
        payload_bytes=head.payload_bytes,
    )


# -- files -----------------------------------------------------------------------------------


def save(path, params, mask=None, omega_0: float = 30.0, codec: str = "coo") -> int:
    """Encode one ticket into ``path`` (written atomically); returns the bytes written."""
    from .store import atomic_write

    data = encode(params, mask, omega_0, codec)
    atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(data))
    return len(data)


def load(path) -> Decoded:
    """Read a file written by :func:`save`."""
    p = Path(path)
    if not p.exists():
        raise LthsirenError(f"network file not found: {p}")
    if p.is_dir():
        raise LthsirenError(f"{p} is a directory, not a network file")
    return decode(p.read_bytes(), source=str(p))


# -- sizes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeReport:
    """How big one ticket is under one codec, three ways.

    ``spec_bytes`` is the SPEC's arithmetic (COO: 8 B per surviving weight, nothing else; dense:
    4 B per parameter); ``payload_bytes`` what the codec really writes (COO adds the biases);
    ``file_bytes`` the whole file, header included.
    """

    codec: str
    survivors: int
    weights: int
    biases: int
    spec_bytes: int | None
    payload_bytes: int
    header_bytes: int

    @property
    def file_bytes(self) -> int:
        return self.payload_bytes + self.header_bytes

    @property
    def density(self) -> float:
        return self.survivors / self.weights


def spec_bytes(codec: str, survivors: int, weights: int, biases: int) -> int | None:
    """The SPEC's figure: ``8 * survivors`` for coo, ``4 * (weights + biases)`` for dense-f32,
    ``None`` for a codec the SPEC does not price."""
    if codec == "coo":
        return 8 * survivors
    if codec == "dense-f32":
        return 4 * (weights + biases)
    return None


def size_report(params, mask=None, codec: str = "coo") -> SizeReport:
    """The sizes of one ticket under ``codec``: from counts for a codec with fixed arithmetic
    (``dense-f32``, ``coo``: nothing is encoded), by encoding it for the others. ``codec`` may
    be ``"best"`` or ``"best-lossy"``: the report then names the codec chosen."""
    weights, biases, masks = _check_network(params, mask)
    n_w = sum(w.size for w in weights)
    n_b = sum(b.size for b in biases)
    alive = int(sum(m.sum() for m in masks))
    header = header_size(len(weights))
    if codec in BEST:
        codec = best_codec(params, mask, lossless=codec == "best")
    spec = get_codec(codec)
    if spec.payload_size is not None:
        payload = spec.payload_size(alive, n_w, n_b)
    else:
        payload = len(encode(params, mask, codec=codec)) - header
    return SizeReport(
        codec=codec,
        survivors=alive,
        weights=n_w,
        biases=n_b,
        spec_bytes=spec_bytes(codec, alive, n_w, n_b),
        payload_bytes=payload,
        header_bytes=header,
    )


# -- using a decoded network -----------------------------------------------------------------


TICKET_ALIASES = {"winner": "smallest", "loser": "largest", "random": "random"}


def ticket_index(cfg, ticket: str = "winner", seed: int | None = None) -> int:
    """Index into ``cfg.tickets()`` of a ticket named by role (winner, random, loser) or by
    strategy (smallest, random, largest), for ``seed`` (default: the run's first seed)."""
    strategy = TICKET_ALIASES.get(ticket, ticket)
    seed = cfg.seeds[0] if seed is None else int(seed)
    if (strategy, seed) not in cfg.tickets():
        have = ", ".join(f"{TICKET_NAMES[s]} seed {n}" for s, n in cfg.tickets())
        raise LthsirenError(
            f"the run has no {ticket} ticket of seed {seed}: it holds {have} (--ticket takes "
            "winner, random or loser)"
        )
    return cfg.tickets().index((strategy, seed))


def ticket_from_run(run, round_index: int, ticket: int = 0) -> tuple[Params, list[torch.Tensor]]:
    """(trained weights, mask) of one ticket of a stored run, ready for :func:`encode`. ``ticket``
    indexes ``cfg.tickets()`` (0 is the winner of the first seed)."""
    masks, trained = run.round_state(round_index)
    return [(w[ticket], b[ticket]) for w, b in trained], [m[ticket] for m in masks]


@torch.no_grad()
def render(params, side: int, omega_0: float = 30.0) -> torch.Tensor:
    """The image ``[side, side, C]`` (unclamped, [-1, 1] scale) one network draws.

    It goes through :class:`~lthsiren.train.TicketTrainer`'s forward pass, the very arithmetic
    that scored the tickets during the run, so on the same machine and thread count the PSNR of a
    decoded ticket matches its stored record to the last bit.
    """
    from .data import coordinate_grid
    from .train import TicketTrainer

    coords = coordinate_grid(side)
    batched = [
        (torch.as_tensor(w)[None].float(), torch.as_tensor(b)[None].float()) for w, b in params
    ]
    out = batched[-1][0].shape[1]
    trainer = TicketTrainer(coords, torch.zeros(coords.shape[0], out), omega_0)
    return trainer.predict(batched)[0].reshape(side, side, out)


def bit_identical(a: Params, b: Params, mask=None) -> bool:
    """Whether two networks hold exactly the same float32 bits.

    With ``mask``, a pruned weight only has to be zero in both (+0.0 or -0.0: no codec stores
    anything for a pruned weight, so its sign is not part of the network); surviving weights
    and all biases must match bit for bit.
    """
    if len(a) != len(b) or (mask is not None and len(mask) != len(a)):
        return False
    for l, ((wa, ba), (wb, bb)) in enumerate(zip(a, b)):
        wa, wb, ba, bb = (_as_array(x, F32) for x in (wa, wb, ba, bb))
        if wa.shape != wb.shape or ba.tobytes() != bb.tobytes() or ba.shape != bb.shape:
            return False
        if mask is not None:
            m = _as_array(mask[l], bool)
            if np.any(wa[~m] != 0) or np.any(wb[~m] != 0):
                return False
            wa, wb = wa[m], wb[m]
        if wa.tobytes() != wb.tobytes():
            return False
    return True


__all__ = [
    "BEST",
    "CODECS",
    "COO",
    "DENSE_F32",
    "FORMAT_VERSION",
    "MAGIC",
    "SUFFIX",
    "Codec",
    "Decoded",
    "SizeReport",
    "best_codec",
    "bit_identical",
    "decode",
    "encode",
    "get_codec",
    "header_size",
    "load",
    "register_codec",
    "render",
    "save",
    "size_report",
    "spec_bytes",
    "ticket_from_run",
    "ticket_index",
]
