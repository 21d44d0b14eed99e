"""Storing a ticket: one SIREN (its weights, mask and omega_0) written to a small file and read
back exactly.

A winning ticket keeps about 1% of its weights, and the rest are exactly zero; this module turns
that into bytes you can measure. A file is a fixed header followed by a payload whose layout a
*codec* decides. Two codecs exist now:

- ``dense-f32``: every weight (pruned zeros included) and every bias as little-endian float32,
  layer by layer. The baseline: at the SPEC size 198,915 * 4 B = 795,660 B of payload, whatever
  the sparsity.
- ``coo``: the SPEC's arithmetic made real. Each surviving weight costs a float32 value plus an
  int32 flat index, 8 B; the biases (never pruned) are stored densely as float32. The payload is
  ``4 * biases + 8 * survivors`` bytes, so COO beats dense exactly when fewer than half of the
  weights survive (the bias terms cancel): the SPEC's break-even at 50% density. The SPEC's
  "~2,386 survivors -> ~19.1 KB, ~40x" counts the 8 B per survivor only; a file that can be
  decoded on its own also holds the biases (1,027 * 4 B at the SPEC size) and the header, and
  :func:`size_report` gives both figures.

The header makes every file self-describing, so :func:`decode` needs nothing else: magic bytes
``LTHSIREN``, the format version, the codec name, omega_0, the layer shapes, the payload length
and a CRC-32 of header and payload. A file that is truncated, damaged, of another format version,
or not an lthsiren file at all raises :class:`~lthsiren.errors.LthsirenError` with one line naming
the problem. Decoding is exact: the weights come back bit-identical.

Codecs live in a registry (:data:`CODECS`, :func:`register_codec`), a name mapped to an encode
and a decode function over plain numpy arrays, so a new layout (delta-coded CSR indices, float16
values, 8-bit quantisation, bitmasks, zlib) is one more entry. :func:`render` draws a decoded
network the way the training engine does, so its PSNR can be compared with the stored one.
Notebook 05 introduces this module.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import LthsirenError

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
I32 = np.dtype("<i4")


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
    weights, biases)`` is the payload's length in bytes, the codec's arithmetic.
    """

    name: str
    encode: Callable[[list[np.ndarray], list[np.ndarray], list[np.ndarray]], bytes]
    decode: Callable[[bytes, Shapes], tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]]
    payload_size: Callable[[int, int, int], int]
    summary: str = ""


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


def get_codec(name: str) -> Codec:
    if name not in CODECS:
        raise LthsirenError(f"unknown codec {name!r}: choose from {', '.join(CODECS)}")
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
    outside the mask are stored as zero.
    """
    spec = get_codec(codec)
    weights, biases, masks = _check_network(params, mask)
    payload = spec.encode(weights, biases, masks)
    head = _HEAD.pack(
        MAGIC, FORMAT_VERSION, spec.name.encode("ascii"), float(omega_0), len(weights)
    ) + b"".join(_SHAPE.pack(*w.shape) for w in weights)
    head += struct.pack("<Q", len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + struct.pack("<I", crc) + payload


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
    from .store import _atomic

    data = encode(params, mask, omega_0, codec)
    _atomic(Path(path), lambda tmp: Path(tmp).write_bytes(data))
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
    """The sizes of one ticket under ``codec``, computed from counts (nothing is encoded)."""
    weights, biases, masks = _check_network(params, mask)
    n_w = sum(w.size for w in weights)
    n_b = sum(b.size for b in biases)
    alive = int(sum(m.sum() for m in masks))
    return SizeReport(
        codec=codec,
        survivors=alive,
        weights=n_w,
        biases=n_b,
        spec_bytes=spec_bytes(codec, alive, n_w, n_b),
        payload_bytes=get_codec(codec).payload_size(alive, n_w, n_b),
        header_bytes=header_size(len(weights)),
    )


# -- using a decoded network -----------------------------------------------------------------


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
    "CODECS",
    "COO",
    "DENSE_F32",
    "FORMAT_VERSION",
    "MAGIC",
    "SUFFIX",
    "Codec",
    "Decoded",
    "SizeReport",
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
]
