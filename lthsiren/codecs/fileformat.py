"""The file format: a fixed header, then a payload whose layout a codec decides.

The header makes every file self-describing, so :func:`decode` needs nothing else: magic bytes
``LTHSIREN``, the format version, the codec name, omega_0, the layer shapes, the payload length
and a CRC-32 of header and payload. A file that is truncated, damaged, of another format version,
or not an lthsiren file at all raises :class:`~lthsiren.errors.LthsirenError` with one line naming
the problem, and so does a payload that passes the checksum but does not describe a network of
the header's shapes. The lossless codecs give the weights back bit-identical. The compression
chapter.

Nothing a file declares is allocated before it is bounded: at most :data:`MAX_LAYERS` layers and
:data:`MAX_WEIGHTS` weights in all (64 MiB of float32, 84 times the write-up's network), a finite
positive omega_0, and a payload no longer than the codec could write for those shapes; a file
longer than any such file is refused before it is read. Read as a SIREN to draw
(``load(path, siren=True)``), a file must also map 2 inputs to 1 or 3 channels through hidden
layers at most :data:`MAX_WIDTH` wide. So a 60-byte file cannot make ``render`` allocate
gigabytes.
"""

from __future__ import annotations

import lzma
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import LthsirenError
from ..network.ticket import TicketParams
from .registry import BEST, CODECS, Shapes, check_network, get_codec, payload_limit

MAGIC = b"LTHSIREN"
FORMAT_VERSION = 1
SUFFIX = ".lths"

# The header, little-endian: magic, version, codec name (ASCII, NUL-padded), omega_0, number of
# layers; then (out, in) per layer; then the payload length and the CRC-32 of everything before
# the CRC field plus the payload.
_HEAD = struct.Struct("<8sH16sdH")
_SHAPE = struct.Struct("<II")
_TAIL = struct.Struct("<QI")

MAX_LAYERS = 64
MAX_WEIGHTS = 2**24
MAX_WIDTH = 4096  # hidden neurons per layer of a SIREN to draw


def max_file_bytes() -> int:
    """More bytes than any file this version reads."""
    return header_size(MAX_LAYERS) + 64 + 16 * MAX_LAYERS + 16 * MAX_WEIGHTS


def header_size(n_layers: int) -> int:
    """Bytes of the header of a network with ``n_layers`` layers (88 for the 5-layer SIREN)."""
    return _HEAD.size + n_layers * _SHAPE.size + _TAIL.size


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
    weights, biases, masks = check_network(params, mask)
    if not (math.isfinite(omega_0) and omega_0 > 0):
        raise LthsirenError(f"omega_0 must be a finite positive number, got {omega_0}")
    if len(weights) > MAX_LAYERS or sum(w.size for w in weights) > MAX_WEIGHTS:
        raise LthsirenError(
            f"a network file holds at most {MAX_LAYERS} layers and {MAX_WEIGHTS:,} weights; "
            "this network is larger"
        )
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


class FileBytes:
    """A file's size, header and payload together: what :class:`Decoded` read and what
    :class:`~lthsiren.codecs.sizes.SizeReport` measured."""

    header_bytes: int
    payload_bytes: int

    @property
    def file_bytes(self) -> int:
        return self.header_bytes + self.payload_bytes


@dataclass
class Decoded(FileBytes):
    """A network read back from a file: everything needed to draw it."""

    params: TicketParams  # [(W [out, in], b [out]), ...], float32
    mask: list[torch.Tensor]  # bool [out, in] per layer
    omega_0: float
    codec: str
    header_bytes: int
    payload_bytes: int

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


def _parse_header(data: bytes, source: str, siren: bool = False) -> _Header:
    """Check magic, version, lengths, checksum and bounds (module doc); return the header's
    fields. ``siren``: also check the shapes of a SIREN that can be drawn."""
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
    if n_layers > MAX_LAYERS:
        raise _fail(
            source, f"declares {n_layers} layers; a network file holds at most {MAX_LAYERS}"
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
    if any(i != prev for (_, i), (prev, _) in zip(shapes[1:], shapes)):
        raise _fail(source, f"is damaged: its layer shapes {shapes} do not make one network")
    if sum(o * i for o, i in shapes) > MAX_WEIGHTS:
        raise _fail(
            source,
            f"declares {sum(o * i for o, i in shapes):,} weights; a network file holds at most "
            f"{MAX_WEIGHTS:,}",
        )
    if payload_bytes > payload_limit(shapes):
        raise _fail(source, f"is damaged: {payload_bytes:,} payload bytes for layers {shapes}")
    if not (math.isfinite(omega_0) and omega_0 > 0):
        raise _fail(source, f"is damaged: its omega_0 ({omega_0}) is not a positive number")
    if siren:
        _check_siren([tuple(s) for s in shapes], source)
    return _Header(name, omega_0, [tuple(s) for s in shapes], size, payload_bytes)


def _check_siren(shapes: Shapes, source: str) -> None:
    if shapes[0][1] != 2:
        raise _fail(
            source,
            f"maps {shapes[0][1]} inputs, not 2-D pixel coordinates; it cannot be drawn "
            "as an image",
        )
    if shapes[-1][0] not in (1, 3):
        raise _fail(source, f"outputs {shapes[-1][0]} channels; an image needs 1 or 3")
    if max(o for o, _ in shapes[:-1]) > MAX_WIDTH:
        raise _fail(
            source, f"has a hidden layer wider than {MAX_WIDTH} neurons, more than a SIREN to draw"
        )


def decode(data: bytes, source: str = "the data", siren: bool = False) -> Decoded:
    """Bytes made by :func:`encode` -> :class:`Decoded`. ``source`` names the data in errors;
    ``siren`` checks that the network is a SIREN that can be drawn (module doc)."""
    data = bytes(data)
    head = _parse_header(data, source, siren)
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
    from ..store.atomic import atomic_write

    data = encode(params, mask, omega_0, codec)
    atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(data))
    return len(data)


def load(path, siren: bool = False) -> Decoded:
    """Read a file written by :func:`save` (``siren``: as :func:`decode`). Only a regular file
    no longer than :func:`max_file_bytes` is read."""
    p = Path(path)
    if not p.exists():
        raise LthsirenError(f"network file not found: {p}")
    if p.is_dir():
        raise LthsirenError(f"{p} is a directory, not a network file")
    if not p.is_file():  # a FIFO or a device would block or never end
        raise LthsirenError(f"{p} is not a regular file; pass a network file")
    if p.stat().st_size > max_file_bytes():
        raise LthsirenError(
            f"{p} is {p.stat().st_size:,} bytes, longer than any network file; pass a file "
            "written by 'lthsiren export'"
        )
    return decode(p.read_bytes(), source=str(p), siren=siren)
