"""The ``csr-*`` codecs: a per-layer sparse index and three forms of values (the compression
chapter).

Each layer's mask is written as whichever of three index layouts is smallest for it: CSR (a count
per row, then each row's column indices delta-coded as gaps), flat gaps (the gaps between
survivors' positions in the row-major layer, for very sparse layers), or a bitmask (one bit per
weight, for dense layers); counts and gaps go in the narrowest unsigned type that holds them.
The values follow as float32 (``csr-f32``, lossless), float16 (``csr-f16``) or 8-bit codes of a
linear quantiser per layer (``csr-q8``; biases float16: every sine layer multiplies its biases by
omega_0, and on the laptop preset's dense round 8-bit biases cost 5 dB more than 8-bit weights
alone). Multi-byte values are stored byte-plane by byte-plane, which lets an entropy coder see
that the sign/exponent bytes repeat; a ``+zlib`` or ``+lzma`` suffix passes the whole payload
through that standard-library coder. The lossy codecs also drop what cannot change the image:
weights into, and biases of, hidden neurons with no path to the output.
"""

from __future__ import annotations

import lzma
import zlib

import numpy as np
import torch

from ..errors import LthsirenError
from ..network.compaction import reaching_output
from .registry import F16, F32, U8, U16, U32, Codec, Shapes, payload_limit, register_codec, split

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
    reach the output (:func:`lthsiren.network.compaction.reaching_output` over the mask; every
    output neuron does)."""
    live = [r.numpy() for r in reaching_output([torch.tensor(m) for m in masks])]
    live.append(np.ones(masks[-1].shape[0], dtype=bool))
    return [m & keep[:, None] for m, keep in zip(masks, live)], live


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
        biases = split(flat_b, n_biases)
    else:
        _, live = _reaching_output(masks)
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
        for keep, part in zip(live, split(kept, [int(k.sum()) for k in live])):
            b = np.zeros(keep.shape[0], dtype=F32)
            b[keep] = part
            biases.append(b)
    r.finish()
    weights = []
    for m, v in zip(masks, split(flat_w, counts)):
        w = np.zeros(m.shape, dtype=F32)
        w[m] = v
        weights.append(w)
    return weights, biases, masks


# The entropy coders, headerless: the file's own header already says which one and its CRC
# already guards the bytes.
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


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
    limit = payload_limit(shapes)
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
