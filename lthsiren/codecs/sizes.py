"""How big a ticket is under a codec, three ways: the write-up's arithmetic, the payload a codec
really
writes, and the whole file (the compression chapter). The write-up's "~2,386 survivors -> ~19.1 KB,
~40x" counts
the 8 B per COO survivor only; a file that can be decoded on its own also holds the biases
(1,027 * 4 B at the write-up's size) and the header, and :func:`size_report` gives both figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fileformat import FileBytes, best_codec, encode, header_size
from .registry import BEST, check_network, get_codec


@dataclass(frozen=True)
class SizeReport(FileBytes):
    """How big one ticket is under one codec, three ways.

    ``spec_bytes`` is the write-up's arithmetic (COO: 8 B per surviving weight, nothing else; dense:
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
    def density(self) -> float:
        return self.survivors / self.weights


def spec_bytes(codec: str, survivors: int, weights: int, biases: int) -> int | None:
    """the write-up's figure: ``8 * survivors`` for coo, ``4 * (weights + biases)`` for dense-f32,
    ``None`` for a codec the write-up does not price."""
    if codec == "coo":
        return 8 * survivors
    if codec == "dense-f32":
        return 4 * (weights + biases)
    return None


def size_report(params, mask=None, codec: str = "coo") -> SizeReport:
    """The sizes of one ticket under ``codec``: from counts for a codec with fixed arithmetic
    (``dense-f32``, ``coo``: nothing is encoded), by encoding it for the others. ``codec`` may
    be ``"best"`` or ``"best-lossy"``: the report then names the codec chosen."""
    weights, biases, masks = check_network(params, mask)
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
