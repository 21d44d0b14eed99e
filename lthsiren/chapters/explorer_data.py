"""What the sparsity explorer (:mod:`lthsiren.chapters.explorer`, the IMP chapter and the anti-IMP
chapter) shows,
read from a run folder: the view the web page reads too (:class:`lthsiren.store.runview.RunView`:
the records, the stored reconstructions, each round's masks), plus the pictures' pixels and the
error maps, each computed once and cached.

A run holds every seed's tickets; the view shows one seed at a time (:attr:`ExplorerView.seed`,
which the widget's seed selector sets) and keeps the records of all seeds for the curves' bands.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from ..report import COLORS
from ..store.runview import RunView, pct_label

__all__ = ["ERROR_CMAP", "ERROR_MAX", "ExplorerView", "css_color", "pct_label"]

ERROR_MAX = 0.25  # the error maps' fixed scale: |reconstruction - target| in [0, 1] units
ERROR_CMAP = "magma"


def css_color(name: str) -> str:
    """A ticket's colour as CSS (``#rrggbb``): matplotlib's ``tab:green`` is not CSS."""
    from matplotlib.colors import to_hex

    return to_hex(COLORS.get(name, "black"))


def _rgb(path: Path) -> np.ndarray:
    with PILImage.open(path) as picture:
        return np.asarray(picture.convert("RGB"))


class ExplorerView(RunView):
    """A run folder's view (:class:`lthsiren.store.runview.RunView`) with the seed shown (``seed``,
    which the widget's seed selector sets): the per-ticket reads default to it."""

    def __init__(self, run, seed: int | None = None):
        super().__init__(run)
        self._errors: dict[tuple, bytes] = {}
        self._target: np.ndarray | None = None
        self.seed = self.check_seed(seed)

    def headline(self, k: int) -> str:
        return f"{self.round_text(k)} ({self.pct(k):.1f}% remaining)"

    def record(self, k: int, ticket: str, seed: int | None = None) -> dict:
        """The record of ``ticket`` in round ``k`` (of the shown seed unless told)."""
        return super().record(k, ticket, self.seed if seed is None else seed)

    def alive_per_layer(self, k: int, ticket: str, seed: int | None = None) -> list[int]:
        return super().alive_per_layer(k, ticket, self.seed if seed is None else seed)

    def image_path(self, k: int, ticket: str, seed: int | None = None) -> Path:
        return super().image_path(k, ticket, self.seed if seed is None else seed)

    # -- pictures -------------------------------------------------------------------------
    def pixels(self, k: int, ticket: str) -> np.ndarray:
        return _rgb(self.image_path(k, ticket))

    def target_pixels(self) -> np.ndarray:
        if self._target is None:
            self._target = _rgb(self.target_path())
        return self._target

    def error(self, k: int, ticket: str) -> np.ndarray:
        """|reconstruction - target| per pixel, averaged over the colour channels, in [0, 1]."""
        diff = self.pixels(k, ticket).astype(np.float32) - self.target_pixels()
        return np.abs(diff).mean(axis=2) / 255.0

    def error_rgb(self, k: int, ticket: str) -> np.ndarray:
        """The error map coloured on the fixed scale 0..:data:`ERROR_MAX` (clipped above)."""
        from matplotlib import colormaps

        scaled = np.clip(self.error(k, ticket) / ERROR_MAX, 0.0, 1.0)
        return (colormaps[ERROR_CMAP](scaled)[..., :3] * 255).round().astype(np.uint8)

    def error_png(self, k: int, ticket: str) -> bytes:
        key = (self.seed, k, ticket)
        if key not in self._errors:
            buf = io.BytesIO()
            PILImage.fromarray(self.error_rgb(k, ticket)).save(buf, format="PNG")
            self._errors[key] = buf.getvalue()
        return self._errors[key]

    def error_scale_css(self, n: int = 9) -> str:
        """A CSS gradient of the error maps' colour scale, low to high."""
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        cmap = colormaps[ERROR_CMAP]
        return (
            "linear-gradient(to right, "
            + ", ".join(to_hex(cmap(i / (n - 1))) for i in range(n))
            + ")"
        )
