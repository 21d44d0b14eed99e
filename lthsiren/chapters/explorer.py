"""The sparsity explorer: slide (or play) through the pruning rounds of a finished run and watch
the tickets' reconstructions (or their error maps), their PSNR and HFE, the weights each layer
keeps, and where the round sits on the PSNR or HFE curve.

Everything it shows is already on disk in the run folder (the PNG reconstructions of every round,
the records, each round's masks), so moving the slider only swaps bytes: nothing is retrained.
The curve with its rings is drawn off-screen (a bare matplotlib ``Figure`` on the Agg canvas,
never pyplot) once per round, seed and metric, and cached.

Where no widget frontend exists (a repository page, a notebook opened without a kernel, a
terminal), the explorer still shows something useful: its ``_repr_mimebundle_`` carries, next to
the widget view, a PNG of the current state (with the slider drawn in it, so a reader sees it is
an explorer) and one line of plain text. :func:`explorer_figure` returns the same picture as a
matplotlib ``Figure``.

The IMP chapter and the anti-IMP chapter use it::

    from lthsiren.chapters.explorer import SparsityExplorer
    SparsityExplorer(run, round=10)

Every element has a stable attribute and a CSS class, for tests and browser automation:
``.slider`` (``lthsiren-slider``), ``.play`` (``lthsiren-play``, linked to the slider in the
browser), ``.seed_select`` (``lthsiren-seed``, hidden for a one-seed run), ``.error_box``
(``lthsiren-error-map``), ``.metric_toggle`` (``lthsiren-metric``), ``.title``
(``lthsiren-title``), ``.target_image`` (``lthsiren-target``), ``.images`` (``lthsiren-image``,
``lthsiren-image-<ticket>``), ``.captions`` (``lthsiren-caption-<ticket>``), ``.psnr_text``
(``lthsiren-psnr``), ``.curve`` (``lthsiren-curve``), ``.layers`` (``lthsiren-layers``); the whole
is ``lthsiren-explorer``. The pieces live in :mod:`~lthsiren.chapters.explorer_data` (reading
the run) and :mod:`~lthsiren.chapters.explorer_draw` (figures and HTML).
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from ..errors import LthsirenError
from ..store import RunDir
from .explorer_data import ExplorerView, pct_label
from .explorer_draw import (
    STYLE,
    check_metric,
    curve_png,
    error_legend,
    explorer_figure,
    layers_table,
    metrics_table,
    png_bytes,
    state_figure,
    ticket_label,
)

__all__ = ["SparsityExplorer", "explorer_figure"]

IMAGE_PX = 160  # on-screen size of each reconstruction in the widget
PLAY_MS = 700  # per round while the Play button runs


def _picture(cls: str, px: int) -> widgets.Image:
    img = widgets.Image(format="png", width=px, height=px)
    img.add_class(cls)
    return img


def _column(name: str, image: widgets.Image, caption: widgets.HTML) -> widgets.VBox:
    label = widgets.HTML(ticket_label(name))
    return widgets.VBox(
        [label, image, caption], layout=widgets.Layout(align_items="center", margin="0 4px")
    )


def _control(name: str, check, doc: str) -> property:
    """A part of the explorer's state that one control holds: reading it reads the control
    ``name``, setting it sets the control (which redraws) to ``check(explorer, value)``."""

    def get(self):
        return getattr(self, name).value

    def put(self, value) -> None:
        getattr(self, name).value = check(self, value)

    return property(get, put, doc=doc + " Setting it moves its control.")


class SparsityExplorer(widgets.VBox):
    """A slider (and a Play button) over the pruning rounds of a run, showing the target and
    every ticket's reconstruction side by side, their PSNR and HFE, the weights alive in each
    layer, and the PSNR (or HFE) curve with the current round ringed.

    ``run`` is a :class:`~lthsiren.store.RunDir` or the path of a run folder (complete or not:
    the slider covers the completed rounds). ``round`` is where it starts (default 2: 64%
    remaining), ``seed`` which seed's tickets it shows (default: the first; a selector offers
    the others), ``metric`` the curve shown first ("psnr" or "hfe"), ``error_map`` whether the
    pictures start as error maps |reconstruction - target| (shown in place of the
    reconstructions, on a fixed scale).

    ``round``, ``seed``, ``metric`` and ``error_map`` read or set the state; ``figure()`` and
    ``to_png()`` give it as a still picture.
    """

    def __init__(
        self,
        run,
        round: int | None = None,
        seed: int | None = None,
        image_px: int = IMAGE_PX,
        *,
        metric: str = "psnr",
        error_map: bool = False,
    ):
        self._view = view = ExplorerView(run, seed)
        start = view.check_round(round)
        self._curves: dict[tuple, bytes] = {}
        self._stills: dict[tuple, bytes] = {}
        self._layer_html: dict[tuple, str] = {}

        labels = [pct_label(view.pct(k)) for k in view.rounds]
        if len(set(labels)) < len(labels):  # very long runs: make every label unique
            labels = [f"{lab} (round {k})" for lab, k in zip(labels, view.rounds)]
        self.slider = widgets.SelectionSlider(
            options=list(zip(labels, view.rounds)),
            value=start,
            description="remaining",
            continuous_update=True,
            layout=widgets.Layout(width="min(560px, 90%)"),
            style={"description_width": "initial"},
        )
        # the rounds are 0..last, so the slider's index is the round: Play drives it in the
        # browser, without a round trip through the kernel
        self.play = widgets.Play(
            value=start,
            min=0,
            max=view.rounds[-1],
            step=1,
            interval=PLAY_MS,
            show_repeat=False,
            tooltip="play the rounds",
        )
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "index"))
        single = len(view.seeds) == 1
        self.seed_select = widgets.Dropdown(
            options=[(f"seed {s}", s) for s in view.seeds],
            value=view.seed,
            description="seed",
            disabled=single,
            layout=widgets.Layout(width="140px", display="none" if single else None),
            style={"description_width": "initial"},
        )
        self.error_box = widgets.Checkbox(
            value=bool(error_map), description="error map", indent=False
        )
        self.error_box.layout.width = "auto"
        self.metric_toggle = widgets.ToggleButtons(
            options=[("PSNR", "psnr"), ("HFE", "hfe")],
            value=check_metric(metric),
            style={"button_width": "70px"},
        )
        self.title = widgets.HTML()
        self.target_image = _picture("lthsiren-target", image_px)
        self.target_image.value = view.target_path().read_bytes()
        self.target_caption = widgets.HTML()
        self.images: dict[str, widgets.Image] = {}
        self.captions: dict[str, widgets.HTML] = {}
        columns = [_column("target", self.target_image, self.target_caption)]
        for t in view.tickets:
            self.images[t] = _picture("lthsiren-image", image_px)
            self.images[t].add_class(f"lthsiren-image-{t}")
            self.captions[t] = widgets.HTML()
            self.captions[t].add_class(f"lthsiren-caption-{t}")
            columns.append(_column(t, self.images[t], self.captions[t]))
        self.psnr_text = widgets.HTML()
        self.curve = widgets.Image(format="png")
        self.layers = widgets.HTML()
        for w, cls in [
            (self.slider, "lthsiren-slider"),
            (self.play, "lthsiren-play"),
            (self.seed_select, "lthsiren-seed"),
            (self.error_box, "lthsiren-error-map"),
            (self.metric_toggle, "lthsiren-metric"),
            (self.title, "lthsiren-title"),
            (self.psnr_text, "lthsiren-psnr"),
            (self.curve, "lthsiren-curve"),
            (self.layers, "lthsiren-layers"),
        ]:
            w.add_class(cls)

        row = widgets.Layout(align_items="center", flex_flow="row wrap")
        super().__init__(
            [
                widgets.HTML(STYLE),
                self.title,
                widgets.HBox(
                    [self.slider, self.play, self.seed_select, self.error_box], layout=row
                ),
                widgets.HBox(columns, layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox(
                    [self.psnr_text, widgets.VBox([self.metric_toggle, self.curve]), self.layers],
                    layout=row,
                ),
            ]
        )
        self.add_class("lthsiren-explorer")
        self.slider.observe(self._refresh, names="value")
        self.seed_select.observe(self._on_seed, names="value")
        self.metric_toggle.observe(self._refresh, names="value")
        self.error_box.observe(self._refresh, names="value")
        self._refresh()

    # -- updating -------------------------------------------------------------------------
    def _on_seed(self, change) -> None:
        self._view.seed = self._view.check_seed(change["new"])
        self._refresh()

    def _state(self) -> tuple[int, int, str, bool]:
        return self._view.seed, self.round, self.metric, self.error_map

    def _refresh(self, change=None) -> None:
        view = self._view
        seed, k, metric, error_map = self._state()
        self.title.value = (
            f"<b>{view.round_text(k).capitalize()}</b>: {view.remaining_text(k)}; seed {seed}"
        )
        for t in view.tickets:
            rec = view.record(k, t)
            self.images[t].value = (
                view.error_png(k, t) if error_map else view.image_path(k, t).read_bytes()
            )
            self.captions[t].value = f"{rec['psnr']:.2f} dB &middot; HFE {rec['hfe']:.1f}%"
        self.target_caption.value = error_legend(view) if error_map else ""
        self.psnr_text.value = metrics_table(view, k)
        if (seed, k) not in self._layer_html:
            try:
                self._layer_html[(seed, k)] = layers_table(view, k)
            except LthsirenError as e:  # a damaged round file: show the rest, say why not this
                self._layer_html[(seed, k)] = f"<i>no per-layer counts: {html.escape(str(e))}</i>"
        self.layers.value = self._layer_html[(seed, k)]
        if (seed, k, metric) not in self._curves:
            self._curves[(seed, k, metric)] = curve_png(view, k, metric)
        self.curve.value = self._curves[(seed, k, metric)]

    # -- public API -----------------------------------------------------------------------
    round = _control("slider", lambda self, k: self._view.check_round(k), "The round shown (int).")
    seed = _control(
        "seed_select",
        lambda self, s: self._view.check_seed(s),
        "The seed whose tickets are shown (int).",
    )
    metric = _control(
        "metric_toggle", lambda self, m: check_metric(m), 'The curve shown: "psnr" or "hfe".'
    )
    error_map = _control(
        "error_box",
        lambda self, on: bool(on),
        "Whether the pictures are error maps |reconstruction - target| (fixed scale).",
    )

    @property
    def run(self) -> RunDir:
        return self._view.run

    def figure(self):
        """The current state as a static matplotlib ``Figure`` (see :func:`explorer_figure`)."""
        return state_figure(self._view, self.round, self.metric, self.error_map)

    def to_png(self) -> bytes:
        """The current state as a still PNG (palette colours, so it stays small), cached."""
        key = self._state()
        if key not in self._stills:
            self._stills[key] = png_bytes(self.figure(), palette=True)
        return self._stills[key]

    def __repr__(self) -> str:
        return f"SparsityExplorer: {self._view.headline(self.round)}"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """The widget view for a live frontend, plus a PNG of the current state and one line of
        text for everything else (static renderers pick the richest type they understand)."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = repr(self)
        data["image/png"] = base64.b64encode(self.to_png()).decode("ascii")
        return data
