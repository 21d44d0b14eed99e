"""The sparsity explorer: slide through the pruning rounds of a finished run and watch the three
tickets' reconstructions, their PSNR and HFE, and where the round sits on the PSNR curve.

Everything it shows is already on disk in the run folder (the PNG reconstructions of every round,
the records), so moving the slider only swaps bytes: nothing is recomputed, no network is run.
The curve with its marker is drawn once per round, off-screen (a bare matplotlib ``Figure`` on
the Agg canvas, never pyplot), and cached.

Where no widget frontend exists (a repository page, a notebook opened without a kernel, a
terminal), the explorer still shows something useful: its ``_repr_mimebundle_`` carries, next to
the widget view, a PNG of the current state and one line of plain text.
:func:`explorer_figure` returns the same picture as a matplotlib ``Figure``.

Notebooks 03 and 04 use it::

    from lthsiren.chapters.explorer import SparsityExplorer
    SparsityExplorer(run, round=10)

Every element has a stable attribute (``.slider``, ``.title``, ``.images``, ``.target_image``,
``.psnr_text``, ``.curve``) and a CSS class (``lthsiren-explorer``, ``lthsiren-slider``,
``lthsiren-title``, ``lthsiren-image``, ``lthsiren-image-<ticket>``, ``lthsiren-target``,
``lthsiren-psnr``, ``lthsiren-curve``) for tests and browser automation.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import ipywidgets as widgets
import numpy as np
from PIL import Image as PILImage

from ..errors import LthsirenError
from ..report import COLORS, TICKET_ORDER, plot_psnr, remaining_by_round
from ..store import RunDir

__all__ = ["SparsityExplorer", "explorer_figure"]

IMAGE_PX = 160  # on-screen size of each reconstruction in the widget
_STYLE = (
    "<style>.lthsiren-image, .lthsiren-target {image-rendering: pixelated;}"
    " .lthsiren-psnr table {border-collapse: collapse;}"
    " .lthsiren-psnr td, .lthsiren-psnr th {padding: 2px 10px; text-align: right;}</style>"
)


def _as_run(run) -> RunDir:
    if isinstance(run, RunDir):
        return run
    if isinstance(run, (str, os.PathLike)):
        return RunDir(Path(run))
    raise TypeError(f"expected a RunDir or the path of a run folder, got {type(run).__name__}")


class _RunView:
    """What both the widget and the static figure read from a run folder, read once."""

    def __init__(self, run, seed: int | None = None):
        self.run = _as_run(run)
        self.total_rounds = self.run.config().rounds  # raises a clear error if not a run
        done = self.run.completed_rounds()
        if done == 0:
            raise LthsirenError(
                f"{self.run.path} has no completed round yet; run the experiment first"
            )
        self.rounds = list(range(done))
        self.records = [r for r in self.run.records() if r["round"] < done]
        seeds = sorted({r["seed"] for r in self.records})
        self.seed = seeds[0] if seed is None else int(seed)
        if self.seed not in seeds:
            raise LthsirenError(f"seed {self.seed} is not in {self.run.path}: it has {seeds}")
        self.tickets = [t for t in TICKET_ORDER if any(r["ticket"] == t for r in self.records)]
        self.remaining = remaining_by_round(self.records)
        self.alive = {r["round"]: r["alive"] for r in self.records}
        self.n_weights = round(self.alive[0] / self.remaining[0])
        self.by_round = {
            (r["round"], r["ticket"]): r for r in self.records if r["seed"] == self.seed
        }

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

    def pct(self, k: int) -> float:
        return 100.0 * self.remaining[k]

    def headline(self, k: int) -> str:
        return f"round {k} of {self.total_rounds} ({self.pct(k):.1f}% remaining)"

    def image_path(self, k: int, ticket: str) -> Path:
        return self.run.image_path(k, ticket, self.seed)

    def target_path(self) -> Path:
        return self.run.path / "images" / "target.png"


def _png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def _new_figure(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _curve_png(view: _RunView, k: int) -> bytes:
    fig = _new_figure((4.6, 3.2))
    ax = fig.add_subplot()
    plot_psnr(view.records, ax, marker_round=k)
    ax.set_title(f"{view.pct(k):.1f}% remaining", fontsize=10)
    fig.tight_layout()
    return _png_bytes(fig)


def _draw_state(fig, view: _RunView, k: int) -> None:
    n = len(view.tickets) + 1
    grid = fig.add_gridspec(1, n + 2, width_ratios=[1] * n + [0.12, 2.3])
    panels = [("target", view.target_path(), None)] + [
        (t, view.image_path(k, t), view.by_round[(k, t)]) for t in view.tickets
    ]
    for j, (name, path, rec) in enumerate(panels):
        ax = fig.add_subplot(grid[0, j])
        with PILImage.open(path) as picture:
            pixels = np.asarray(picture.convert("RGB"))
        ax.imshow(pixels, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if rec is None:
            ax.set_title(name, fontsize=10)
        else:
            ax.set_title(name, fontsize=10, color=COLORS.get(name, "black"))
            ax.set_xlabel(f"{rec['psnr']:.2f} dB\nHFE {rec['hfe']:.1f}%", fontsize=9)
    plot_psnr(view.records, fig.add_subplot(grid[0, n + 1]), marker_round=k)
    fig.suptitle(view.headline(k), fontsize=11)


def _state_figure(view: _RunView, k: int):
    fig = _new_figure((1.6 * (len(view.tickets) + 1) + 4.4, 3.5))
    _draw_state(fig, view, k)
    fig.tight_layout(w_pad=0.2)
    return fig


def explorer_figure(run, round: int | None = None, seed: int | None = None):
    """The explorer's state at ``round`` as a static matplotlib ``Figure``: the target and each
    ticket's reconstruction (with PSNR and HFE), and the PSNR-vs-remaining curve with the round
    marked. ``run`` is a :class:`~lthsiren.store.RunDir` or a run folder's path; ``round``
    defaults to 2 (64% remaining); ``seed`` to the run's first seed.

    The figure is not registered with pyplot: in a notebook, ``display(fig)`` shows it; a script
    can call ``fig.savefig(path)``."""
    view = _RunView(run, seed)
    return _state_figure(view, view.check_round(round))


class SparsityExplorer(widgets.VBox):
    """A slider over the pruning rounds of a run, showing the target and every ticket's
    reconstruction side by side, their PSNR and HFE, and the PSNR curve with the current round
    marked.

    ``run`` is a :class:`~lthsiren.store.RunDir` or the path of a run folder (complete or not:
    the slider covers the completed rounds). ``round`` is where it starts (default 2: 64%
    remaining), ``seed`` which seed's tickets it shows (default: the first).

    Attributes for code and tests: ``slider`` (its value is the round), ``title``,
    ``target_image``, ``images`` (ticket -> ``ipywidgets.Image``), ``psnr_text``, ``curve``;
    ``round`` reads or sets the round.
    """

    def __init__(
        self, run, round: int | None = None, seed: int | None = None, image_px: int = IMAGE_PX
    ):
        self._view = view = _RunView(run, seed)
        start = view.check_round(round)
        self._curve_cache: dict[int, bytes] = {}
        self._static_cache: dict[int, bytes] = {}

        labels = [
            f"{view.pct(k):.1f}%" if view.pct(k) >= 1 else f"{view.pct(k):.2f}%"
            for k in view.rounds
        ]
        if len(set(labels)) < len(labels):  # very long runs: make every label unique
            labels = [f"{lab} (round {k})" for lab, k in zip(labels, view.rounds)]
        self.slider = widgets.SelectionSlider(
            options=list(zip(labels, view.rounds)),
            value=start,
            description="remaining",
            continuous_update=True,
            layout=widgets.Layout(width="min(640px, 95%)"),
            style={"description_width": "initial"},
        )
        self.slider.add_class("lthsiren-slider")
        self.title = widgets.HTML()
        self.title.add_class("lthsiren-title")

        def picture(cls: str) -> widgets.Image:
            img = widgets.Image(format="png", width=image_px, height=image_px)
            img.add_class(cls)
            return img

        self.target_image = picture("lthsiren-target")
        self.target_image.value = view.target_path().read_bytes()
        self.images: dict[str, widgets.Image] = {}
        self.captions: dict[str, widgets.HTML] = {}
        columns = [self._column("target", self.target_image, widgets.HTML(""))]
        for t in view.tickets:
            self.images[t] = picture("lthsiren-image")
            self.images[t].add_class(f"lthsiren-image-{t}")
            self.captions[t] = widgets.HTML()
            self.captions[t].add_class(f"lthsiren-caption-{t}")
            columns.append(self._column(t, self.images[t], self.captions[t]))
        self.psnr_text = widgets.HTML()
        self.psnr_text.add_class("lthsiren-psnr")
        self.curve = widgets.Image(format="png")
        self.curve.add_class("lthsiren-curve")

        super().__init__(
            [
                widgets.HTML(_STYLE),
                self.title,
                self.slider,
                widgets.HBox(columns),
                widgets.HBox(
                    [self.psnr_text, self.curve], layout=widgets.Layout(align_items="center")
                ),
            ]
        )
        self.add_class("lthsiren-explorer")
        self.slider.observe(self._on_slider, names="value")
        self._show(start)

    # -- building blocks ------------------------------------------------------------------
    @staticmethod
    def _column(name: str, image: widgets.Image, caption: widgets.HTML) -> widgets.VBox:
        color = COLORS.get(name, "black")
        label = widgets.HTML(f"<b style='color:{color}'>{html.escape(name)}</b>")
        return widgets.VBox(
            [label, image, caption], layout=widgets.Layout(align_items="center", margin="0 4px")
        )

    def _on_slider(self, change) -> None:
        self._show(change["new"])

    def _show(self, k: int) -> None:
        view = self._view
        self.title.value = (
            f"<b>Round {k} of {view.total_rounds}</b>: {view.pct(k):.1f}% of the weights remain "
            f"({view.alive[k]:,} of {view.n_weights:,}); seed {view.seed}"
        )
        rows = []
        for t in view.tickets:
            rec = view.by_round[(k, t)]
            self.images[t].value = view.image_path(k, t).read_bytes()
            self.captions[t].value = f"{rec['psnr']:.2f} dB &middot; HFE {rec['hfe']:.1f}%"
            rows.append(
                f"<tr data-ticket='{t}'><td style='text-align:left;color:{COLORS.get(t, 'black')}'>"
                f"<b>{t}</b></td><td class='psnr'>{rec['psnr']:.2f}</td>"
                f"<td class='hfe'>{rec['hfe']:.1f}</td></tr>"
            )
        self.psnr_text.value = (
            "<table><tr><th style='text-align:left'>ticket</th><th>PSNR (dB)</th>"
            "<th>HFE (%)</th></tr>" + "".join(rows) + "</table>"
        )
        if k not in self._curve_cache:
            self._curve_cache[k] = _curve_png(view, k)
        self.curve.value = self._curve_cache[k]

    # -- public API -----------------------------------------------------------------------
    @property
    def round(self) -> int:
        """The round shown; setting it moves the slider."""
        return int(self.slider.value)

    @round.setter
    def round(self, k: int) -> None:
        self.slider.value = self._view.check_round(k)

    @property
    def run(self) -> RunDir:
        return self._view.run

    def figure(self):
        """The current state as a static matplotlib ``Figure`` (see :func:`explorer_figure`)."""
        return _state_figure(self._view, self.round)

    def to_png(self) -> bytes:
        """The current state as PNG bytes, cached per round."""
        k = self.round
        if k not in self._static_cache:
            self._static_cache[k] = _png_bytes(_state_figure(self._view, k))
        return self._static_cache[k]

    def __repr__(self) -> str:
        return f"SparsityExplorer: {self._view.headline(self.round)}"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """The widget view for a live frontend, plus a PNG of the current state and one line of
        text for everything else (static renderers pick the richest type they understand)."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = repr(self)
        data["image/png"] = base64.b64encode(self.to_png()).decode("ascii")
        return data
