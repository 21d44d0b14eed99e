"""Rate-distortion: how many bytes each way of storing the image costs, and what PSNR it gives.

The network side: every round's ticket of a stored run (the winner by default), written with
every codec of :mod:`lthsiren.codecs`, decoded, drawn at the run's resolution and scored
against the run's target. The image side: the same target, as the 8-bit RGB it was made from,
saved by Pillow as JPEG (qualities 5 to 95, Huffman tables optimised; with 4:2:0 chroma
subsampling, Pillow's default, and without, 4:4:4) and as WebP (qualities 5 to 95, method 6),
decoded and scored the same way (:func:`lthsiren.metrics.psnr` on [-1, 1] tensors). A lossless
PNG marks the size above which no lossy file is worth keeping. Sizes are whole files: our
header, JPEG's tables. Bits per pixel are ``bytes * 8 / (side * side)``.

:func:`pareto` keeps the points that no other point beats (as small or smaller and at least as
good), and :func:`compare` reads a reference front at the network's sizes (linear in log bytes
between its points): where the difference is positive the network draws the better picture for
the same bytes. The compression chapter plots all of it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .. import codecs as C
from ..data import load_image
from ..metrics import psnr
from ..network.ticket import ticket_index

QUALITIES = tuple(range(5, 100, 5))
IMAGE_FORMATS = {
    "JPEG 4:2:0": ("JPEG", {"optimize": True, "subsampling": 2}),
    "JPEG 4:4:4": ("JPEG", {"optimize": True, "subsampling": 0}),
    "WebP": ("WEBP", {"method": 6}),
}


@dataclass(frozen=True)
class Point:
    """One file. ``method`` is a codec name or an image format; ``setting`` the round (network)
    or the quality (image formats); ``lossless`` whether decoding gives the input back exactly
    (the network's weights, or the 8-bit image); ``survivors`` the weights the file stores."""

    method: str
    setting: int
    bytes: int
    bpp: float
    psnr: float
    lossless: bool
    survivors: int | None = None
    remaining: float | None = None

    @property
    def network(self) -> bool:
        return self.method in C.CODECS


def to_uint8(pixels: torch.Tensor) -> np.ndarray:
    """A target ``[side, side, 3]`` in [-1, 1] back to the 8-bit RGB it was made from."""
    return ((pixels.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def _decoded(data: bytes) -> torch.Tensor:
    with Image.open(io.BytesIO(data)) as img:
        arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    return torch.from_numpy(arr.copy()) / 127.5 - 1.0


def _point(method, setting, n, side, score, lossless, **kw) -> Point:
    return Point(method, int(setting), int(n), 8 * n / side**2, float(score), lossless, **kw)


def image_points(target: torch.Tensor, qualities=QUALITIES, formats=tuple(IMAGE_FORMATS)):
    """JPEG and WebP files of ``target`` (``[side, side, 3]`` in [-1, 1]) at each quality."""
    side = target.shape[0]
    img = Image.fromarray(to_uint8(target))
    points = []
    for name in formats:
        fmt, options = IMAGE_FORMATS[name]
        for q in qualities:
            buf = io.BytesIO()
            img.save(buf, format=fmt, quality=int(q), **options)
            data = buf.getvalue()
            points.append(_point(name, q, len(data), side, psnr(_decoded(data), target), False))
    return points


def png_point(target: torch.Tensor) -> Point:
    """The lossless PNG of the target (PSNR against the target: infinite, or the rounding of a
    target that was not 8-bit to begin with)."""
    buf = io.BytesIO()
    Image.fromarray(to_uint8(target)).save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    return _point("PNG", 0, len(data), target.shape[0], psnr(_decoded(data), target), True)


def network_points(
    run, codecs=None, ticket: str = "winner", seed: int | None = None, rounds=None, target=None
) -> list[Point]:
    """Every round's ``ticket`` of ``run`` under every codec in ``codecs`` (default: all
    registered), as :class:`Point` s scored against the run's own target (or ``target``)."""
    cfg = run.config()
    if target is None:
        target = load_image(cfg.image, cfg.side).pixels
    index = ticket_index(cfg, ticket, seed)
    codecs = list(C.CODECS) if codecs is None else list(codecs)
    mine = cfg.tickets()[index]
    records = {r["round"]: r for r in run.records() if (r["strategy"], r["seed"]) == mine}
    rounds = sorted(records) if rounds is None else list(rounds)
    points = []
    for k in rounds:
        params, mask = run.ticket(k, index)
        original = None
        for name in codecs:
            back = C.decode(C.encode(params, mask, cfg.omega_0, name))
            if back.lossless:
                if not C.bit_identical(back.params, params, mask):  # pragma: no cover
                    raise AssertionError(f"{name} did not give round {k} back exactly")
                if original is None:
                    original = psnr(C.render(params, cfg.side, cfg.omega_0), target)
                score = original  # the very same float32 weights draw the very same image
            else:
                score = psnr(C.render(back.params, cfg.side, back.omega_0), target)
            points.append(
                _point(
                    name,
                    k,
                    back.file_bytes,
                    cfg.side,
                    score,
                    back.lossless,
                    survivors=back.survivors,
                    remaining=records[k]["remaining"] if k in records else None,
                )
            )
    return points


def pareto(points) -> list[Point]:
    """The points no other point beats, smallest first: each is larger and better than the
    one before it."""
    front: list[Point] = []
    for p in sorted(points, key=lambda p: (p.bytes, -p.psnr)):
        if not front or p.psnr > front[-1].psnr:
            front.append(p)
    return front


def psnr_at(front: list[Point], n_bytes: float) -> float:
    """A front's PSNR at ``n_bytes``: linear in log bytes between its points, ``nan`` outside
    the sizes it spans (below its smallest file it has nothing to offer; above its largest we do
    not guess what a higher quality setting would give)."""
    sizes = [p.bytes for p in front]
    if not front or n_bytes < sizes[0] or n_bytes > sizes[-1]:
        return math.nan
    i = int(np.searchsorted(sizes, n_bytes, side="left"))
    if sizes[i] == n_bytes:
        return front[i].psnr
    a, b = front[i - 1], front[i]
    t = (math.log(n_bytes) - math.log(a.bytes)) / (math.log(b.bytes) - math.log(a.bytes))
    return a.psnr + t * (b.psnr - a.psnr)


def bytes_at(front: list[Point], target_psnr: float) -> float:
    """The inverse of :func:`psnr_at`: the bytes a front needs for ``target_psnr`` (linear in
    log bytes between its points), ``nan`` outside the PSNRs it spans."""
    if not front or not front[0].psnr <= target_psnr <= front[-1].psnr:
        return math.nan
    scores = [p.psnr for p in front]
    i = int(np.searchsorted(scores, target_psnr, side="left"))
    if scores[i] == target_psnr:
        return float(front[i].bytes)
    a, b = front[i - 1], front[i]
    t = (target_psnr - a.psnr) / (b.psnr - a.psnr)
    return math.exp(math.log(a.bytes) + t * (math.log(b.bytes) - math.log(a.bytes)))


@dataclass(frozen=True)
class Comparison:
    """One network point against a reference front at the same size."""

    point: Point
    reference: str
    reference_psnr: float  # nan outside the sizes the reference spans
    reference_bytes: tuple[int, int]  # its smallest and largest file
    reference_bytes_at_psnr: float  # what it needs for the network's PSNR (nan: out of reach)

    @property
    def gain(self) -> float:
        """The network's PSNR minus the reference's at the same bytes, in dB (``nan`` outside)."""
        return self.point.psnr - self.reference_psnr

    @property
    def size_ratio(self) -> float:
        """The network's bytes over the reference's at equal PSNR (``nan`` out of reach)."""
        return self.point.bytes / self.reference_bytes_at_psnr

    @property
    def status(self) -> str:
        """``ahead``, ``behind`` (or level), ``below`` (the reference has no file this small) or
        ``above`` (the network's file is larger than the reference's largest)."""
        if self.point.bytes < self.reference_bytes[0]:
            return "below"
        if self.point.bytes > self.reference_bytes[1]:
            return "above"
        return "ahead" if self.gain > 0 else "behind"


def compare(network, reference, name: str) -> list[Comparison]:
    """Each point of the network's front against the front of ``reference`` at equal bytes."""
    ref = pareto(reference)
    span = (ref[0].bytes, ref[-1].bytes)
    return [
        Comparison(p, name, psnr_at(ref, p.bytes), span, bytes_at(ref, p.psnr))
        for p in pareto(network)
    ]


_STATUS = {
    "ahead": "ahead at",
    "behind": "behind at",
    "below": "alone (the format makes no file that small) at",
    "above": "past the format's largest file ({ref:,} B, {psnr:.1f} dB) at",
}


def summary(network, images, png: Point | None = None) -> list[str]:
    """Plain sentences: against each image format, and against the best of them all, the file
    sizes along the network's front where it is ahead and where it is behind."""
    names = list(dict.fromkeys(p.method for p in images))
    groups = {name: [p for p in images if p.method == name] for name in names}
    groups["the best of " + ", ".join(names)] = list(images)
    lines = []
    for name, ref in groups.items():
        top = pareto(ref)[-1]
        spans = []
        for status, rows in _runs(compare(network, ref, name)):
            label = _STATUS[status].format(ref=top.bytes, psnr=top.psnr)
            spans.append(f"{label} {_span(rows)}")
        lines.append(f"against {name}, the network is " + "; ".join(spans))
    if png is not None:
        bigger = [p for p in pareto(network) if p.bytes >= png.bytes]
        if bigger:
            lines.append(
                f"from {bigger[0].bytes:,} B up, the network's files are larger than the lossless "
                f"PNG ({png.bytes:,} B), which gives the 8-bit image back exactly"
            )
    return lines


def _runs(rows: list[Comparison]) -> list[tuple[str, list[Comparison]]]:
    """Consecutive rows grouped by status."""
    out: list[tuple[str, list[Comparison]]] = []
    for r in rows:
        if out and out[-1][0] == r.status:
            out[-1][1].append(r)
        else:
            out.append((r.status, [r]))
    return out


def _span(rows: list[Comparison]) -> str:
    lo, hi = rows[0].point, rows[-1].point
    size = f"{lo.bytes:,} B" if lo is hi else f"{lo.bytes:,} to {hi.bytes:,} B"
    size += f" ({lo.psnr:.1f} dB)" if lo is hi else f" ({lo.psnr:.1f} to {hi.psnr:.1f} dB)"
    gains = [r.gain for r in rows if not math.isnan(r.gain)]
    if gains:
        size += f", {_range(gains, '{:+.1f}')} dB against it at equal size"
    ratios = [r.size_ratio for r in rows if not math.isnan(r.size_ratio)]
    if ratios:
        size += f", {_range(ratios, '{:.2g}')}x its bytes at equal PSNR"
    return size


def _range(values: list[float], fmt: str) -> str:
    lo, hi = fmt.format(min(values)), fmt.format(max(values))
    return lo if lo == hi else f"{lo} to {hi}"


def rate_distortion(run, ticket: str = "winner", seed: int | None = None, qualities=QUALITIES):
    """Everything the notebook plots: ``(network points, image points, png point)`` for one
    stored run, all against the run's own target."""
    cfg = run.config()
    target = load_image(cfg.image, cfg.side).pixels
    net = network_points(run, ticket=ticket, seed=seed, target=target)
    return net, image_points(target, qualities), png_point(target)


__all__ = [
    "IMAGE_FORMATS",
    "QUALITIES",
    "Comparison",
    "Point",
    "compare",
    "image_points",
    "network_points",
    "pareto",
    "png_point",
    "bytes_at",
    "psnr_at",
    "rate_distortion",
    "summary",
    "to_uint8",
]
