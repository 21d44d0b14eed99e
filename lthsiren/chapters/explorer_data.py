"""What the sparsity explorer (:mod:`lthsiren.chapters.explorer`, notebooks 03 and 04) shows,
read from a run folder: the records, the stored reconstructions, each round's masks (for the
per-layer alive counts) and the error maps, each read or computed once and cached.

A run holds every seed's tickets; the view shows one seed at a time (:attr:`RunView.seed`, which
the widget's seed selector sets) and keeps the records of all seeds for the curves' bands.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from ..errors import LthsirenError
from ..report import COLORS, TICKET_ORDER, remaining_by_round
from ..store import RunDir
from ..ticket import alive_per_layer, mask_of, ticket_index

ERROR_MAX = 0.25  # the error maps' fixed scale: |reconstruction - target| in [0, 1] units
ERROR_CMAP = "magma"


def css_color(name: str) -> str:
    """A ticket's colour as CSS (``#rrggbb``): matplotlib's ``tab:green`` is not CSS."""
    from matplotlib.colors import to_hex

    return to_hex(COLORS.get(name, "black"))


def pct_label(p: float) -> str:
    return f"{p:.1f}%" if p >= 1 else f"{p:.2f}%"


def as_run(run) -> RunDir:
    if isinstance(run, RunDir):
        return run
    if isinstance(run, (str, os.PathLike)):
        return RunDir(Path(run))
    raise TypeError(f"expected a RunDir or the path of a run folder, got {type(run).__name__}")


def _rgb(path: Path) -> np.ndarray:
    with PILImage.open(path) as picture:
        return np.asarray(picture.convert("RGB"))


class RunView:
    """One run folder as the explorer reads it; ``seed`` is the seed shown."""

    def __init__(self, run, seed: int | None = None):
        self.run = as_run(run)
        self.cfg = self.run.config()  # raises a clear error if not a run
        self.total_rounds = self.cfg.rounds
        done = self.run.completed_rounds()
        if done == 0:
            raise LthsirenError(
                f"{self.run.path} has no completed round yet; run the experiment first"
            )
        self.rounds = list(range(done))
        self.records = [r for r in self.run.records() if r["round"] < done]
        self.seeds = sorted({r["seed"] for r in self.records})
        self.tickets = [t for t in TICKET_ORDER if any(r["ticket"] == t for r in self.records)]
        self.remaining = remaining_by_round(self.records)
        self.alive = {r["round"]: r["alive"] for r in self.records}
        self.n_weights = round(self.alive[0] / self.remaining[0])
        self._by = {(r["seed"], r["round"], r["ticket"]): r for r in self.records}
        self._layers: dict[int, list] = {}  # round -> the round's batched masks, per layer
        self._errors: dict[tuple, bytes] = {}
        self._target: np.ndarray | None = None
        self.seed = self.check_seed(seed)

    # -- checks ---------------------------------------------------------------------------
    def check_seed(self, seed) -> int:
        seed = self.seeds[0] if seed is None else int(seed)
        if seed not in self.seeds:
            raise LthsirenError(f"seed {seed} is not in {self.run.path}: it has {self.seeds}")
        return seed

    def check_round(self, k) -> int:
        if k is None:
            return min(2, self.rounds[-1])
        k = int(k)
        if k not in self.rounds:
            raise LthsirenError(
                f"round {k} is not available in {self.run.path}: completed rounds are "
                f"0..{self.rounds[-1]}"
            )
        return k

    # -- numbers --------------------------------------------------------------------------
    def pct(self, k: int) -> float:
        return 100.0 * self.remaining[k]

    def headline(self, k: int) -> str:
        return f"round {k} of {self.total_rounds} ({self.pct(k):.1f}% remaining)"

    def record(self, k: int, ticket: str) -> dict:
        """The shown seed's record of ``ticket`` in round ``k``."""
        return self._by[(self.seed, k, ticket)]

    def seed_records(self) -> list[dict]:
        return [r for r in self.records if r["seed"] == self.seed]

    def _masks(self, k: int) -> list:
        if k not in self._layers:
            self._layers[k] = self.run.round_state(k)[0]
        return self._layers[k]

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(inputs, outputs) of each layer, input layer first."""
        return [(int(m.shape[2]), int(m.shape[1])) for m in self._masks(0)]

    def alive_per_layer(self, k: int, ticket: str) -> list[int]:
        """How many weights of each layer the shown seed's ``ticket`` was trained with in
        round ``k``, from the round's stored masks."""
        return alive_per_layer(mask_of(self._masks(k), ticket_index(self.cfg, ticket, self.seed)))

    # -- pictures -------------------------------------------------------------------------
    def image_path(self, k: int, ticket: str) -> Path:
        return self.run.image_path(k, ticket, self.seed)

    def target_path(self) -> Path:
        return self.run.path / "images" / "target.png"

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
