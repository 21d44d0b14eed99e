"""Storing a ticket: one SIREN (its weights, mask and omega_0) in a small file, and back again.

A winning ticket keeps about 1% of its weights, and the rest are exactly zero; this package turns
that into bytes you can measure. The compression chapter introduces it.

- :mod:`~lthsiren.codecs.fileformat`: the header (magic, version, codec, shapes, CRC-32),
  :func:`encode` / :func:`decode`, :func:`save` / :func:`load`;
- :mod:`~lthsiren.codecs.registry`: what a codec is, and :data:`CODECS` by name;
- :mod:`~lthsiren.codecs.simple`: ``dense-f32`` and ``coo``, the write-up's arithmetic;
- :mod:`~lthsiren.codecs.csr`: the ``csr-*`` family (per-layer sparse index; float32, float16 or
  8-bit values; optionally deflate or LZMA2);
- :mod:`~lthsiren.codecs.sizes`: :func:`size_report`, a ticket's size three ways;
- :mod:`~lthsiren.codecs.render`: :func:`render` a decoded network at any resolution.

``encode(..., codec="best")`` tries every lossless codec and keeps the smallest file;
``"best-lossy"`` tries all of them. A run's ticket comes from
:meth:`lthsiren.store.RunDir.ticket` and :func:`lthsiren.network.ticket.ticket_index`.
"""

# Importing a codec module registers its codecs; the two baselines first, so they lead every list.
from .simple import COO, DENSE_F32

# isort: split
from . import csr  # noqa: F401
from .fileformat import (
    FORMAT_VERSION,
    MAGIC,
    SUFFIX,
    Decoded,
    best_codec,
    decode,
    encode,
    header_size,
    load,
    save,
)
from .registry import BEST, CODECS, Codec, get_codec, register_codec
from .render import bit_identical, render
from .sizes import SizeReport, size_report, spec_bytes

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
]
