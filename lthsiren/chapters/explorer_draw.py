"""What the sparsity explorer (:mod:`lthsiren.chapters.explorer`, the IMP chapter and the anti-IMP
chapter) draws:
its curve and its still picture (bare matplotlib ``Figure`` objects on the Agg canvas, never
pyplot), and the HTML of its tables (each ticket's PSNR and HFE, the weights alive per layer).

The still picture is what a page without a kernel shows, so it says it is an explorer: below
the pictures and the curve, a slider track with a marker at the round shown and the words
"round k of N, x% left" (N the number of the last round). The marker, track and words are
figure-level artists (``gid`` ``lthsiren-slider-marker``, ``-track``, ``-label``): the figure
keeps one axes per panel.
"""

from __future__ import annotations

import html
import io

from PIL import Image as PILImage

from ..report import plot_psnr
from .explorer_data import ERROR_CMAP, ERROR_MAX, ExplorerView, css_color, pct_label

METRICS = {"psnr": "PSNR (dB)", "hfe": "HFE (%)"}
STILL_COLORS = 192  # the still PNG is stored with a palette of this many colours
SLIDER_STRIP = 0.13  # the share of the still figure's height below the panels
MARKER_COLOR = "#1f77b4"


def new_figure(figsize, dpi: int = 100):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig, palette: bool = False) -> bytes:
    """The figure as PNG bytes; with ``palette``, quantized to :data:`STILL_COLORS` colours
    (no dithering), which keeps the still picture a third of its full-colour size."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    if not palette:
        return buf.getvalue()
    buf.seek(0)
    with PILImage.open(buf) as im:
        small = im.convert("RGB").quantize(STILL_COLORS, dither=PILImage.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- the curve ----------------------------------------------------------------------------------
def draw_curve(ax, view: ExplorerView, k: int, metric: str = "psnr") -> None:
    """``metric`` against weights remaining, every ticket (mean over seeds, min-max band), with
    a ring at round ``k`` on each ticket's value for the seed shown."""
    plot_psnr(view.records, ax, key=metric)
    for t in view.tickets:
        ax.plot(
            [view.pct(k)],
            [view.record(k, t)[metric]],
            "o",
            ms=10,
            mfc="none",
            mec="black",
            gid=f"lthsiren-marker-{t}",
        )
    ax.set_ylabel(METRICS[metric])
    ax.legend(fontsize=8)
    title = f"{pct_label(view.pct(k))} remaining"
    if len(view.seeds) > 1:
        title += f"; rings: seed {view.seed}"
    ax.set_title(title, fontsize=10)


def curve_png(view: ExplorerView, k: int, metric: str = "psnr") -> bytes:
    fig = new_figure((4.6, 3.2))
    draw_curve(fig.add_subplot(), view, k, metric)
    fig.tight_layout()
    return png_bytes(fig)


# -- the still picture --------------------------------------------------------------------------
def draw_slider(fig, view: ExplorerView, k: int) -> None:
    """The slider, drawn: a track over every round of the run (the completed ones darker),
    a marker at ``k`` and "round k of N, x% left"."""
    from matplotlib.lines import Line2D

    last = max(view.last_round, 1)
    x0, x1, y = 0.05, 0.5, SLIDER_STRIP * 0.45

    def x(r: int) -> float:
        return x0 + (x1 - x0) * r / last

    fig.add_artist(Line2D([x0, x1], [y, y], lw=5, color="#dddddd", solid_capstyle="round"))
    track = Line2D([x0, x(view.rounds[-1])], [y, y], lw=5, color="#9a9a9a", solid_capstyle="round")
    track.set_gid("lthsiren-slider-track")
    fig.add_artist(track)
    marker = Line2D([x(k)], [y], marker="o", ms=11, color=MARKER_COLOR, mec="white", mew=1.5)
    marker.set_gid("lthsiren-slider-marker")
    fig.add_artist(marker)
    label = fig.text(
        x1 + 0.02,
        SLIDER_STRIP * 0.62,
        f"{view.round_text(k)}, {pct_label(view.pct(k))} left",
        va="center",
        fontsize=10,
        weight="bold",
    )
    label.set_gid("lthsiren-slider-label")
    hint = "a still of the sparsity explorer: run the notebook to move its slider"
    fig.text(x1 + 0.02, SLIDER_STRIP * 0.22, hint, va="center", fontsize=8, color="#777777")


def draw_state(fig, view: ExplorerView, k: int, metric: str = "psnr", error_map: bool = False):
    n = len(view.tickets) + 1
    grid = fig.add_gridspec(1, n + 2, width_ratios=[1] * n + [0.12, 2.3])
    for j, name in enumerate(["target", *view.tickets]):
        ax = fig.add_subplot(grid[0, j])
        ax.set_xticks([])
        ax.set_yticks([])
        if name == "target":
            ax.imshow(view.target_pixels(), interpolation="nearest")
            ax.set_title(name, fontsize=10)
            continue
        if error_map:
            ax.imshow(
                view.error(k, name),
                cmap=ERROR_CMAP,
                vmin=0,
                vmax=ERROR_MAX,
                interpolation="nearest",
            )
        else:
            ax.imshow(view.pixels(k, name), interpolation="nearest")
        rec = view.record(k, name)
        ax.set_title(name, fontsize=10, color=css_color(name))
        ax.set_xlabel(f"{rec['psnr']:.2f} dB\nHFE {rec['hfe']:.1f}%", fontsize=9)
    draw_curve(fig.add_subplot(grid[0, n + 1]), view, k, metric)
    title = view.headline(k)
    if len(view.seeds) > 1:
        title += f", seed {view.seed}"
    if error_map:
        title += f"; error maps |reconstruction - target|, black 0 to light {ERROR_MAX:g}"
    fig.suptitle(title, fontsize=11)


def state_figure(view: ExplorerView, k: int, metric: str = "psnr", error_map: bool = False):
    fig = new_figure((1.6 * (len(view.tickets) + 1) + 4.4, 3.5))
    draw_state(fig, view, k, metric, error_map)
    fig.tight_layout(w_pad=0.2, rect=(0, SLIDER_STRIP, 1, 1))
    draw_slider(fig, view, k)
    return fig


# -- the public still ------------------------------------------------------------------------
def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    return metric


def explorer_figure(
    run,
    round: int | None = None,
    seed: int | None = None,
    *,
    metric: str = "psnr",
    error_map: bool = False,
):
    """The explorer's state at ``round`` as a static matplotlib ``Figure``: the target and each
    ticket's reconstruction (with PSNR and HFE; with ``error_map``, the error maps instead of the
    reconstructions), the ``metric`` ("psnr" or "hfe") curve with the round ringed, and the
    slider drawn below. ``run`` is a :class:`~lthsiren.store.RunDir` or a run folder's path;
    ``round`` defaults to 2 (64% remaining); ``seed`` to the run's first seed.

    The figure is not registered with pyplot: in a notebook, ``display(fig)`` shows it; a script
    can call ``fig.savefig(path)``."""
    view = ExplorerView(run, seed)
    return state_figure(view, view.check_round(round), check_metric(metric), error_map)


# -- HTML ---------------------------------------------------------------------------------------
STYLE = (
    "<style>.lthsiren-image, .lthsiren-target {image-rendering: pixelated;}"
    " .lthsiren-psnr table, .lthsiren-layers table {border-collapse: collapse;}"
    " .lthsiren-psnr td, .lthsiren-psnr th {padding: 2px 10px; text-align: right;}"
    " .lthsiren-layers td, .lthsiren-layers th {padding: 2px 8px; text-align: center;"
    " font-size: 12px;}"
    " .lthsiren-layers .bar {width: 72px; height: 9px; background: #e6e6e6; margin: 0 auto;}"
    " .lthsiren-layers .bar div {height: 100%;}</style>"
)


def ticket_label(name: str) -> str:
    return f"<b style='color:{css_color(name)}'>{html.escape(name)}</b>"


def metrics_table(view: ExplorerView, k: int) -> str:
    rows = [
        f"<tr data-ticket='{t}'><td style='text-align:left'>{ticket_label(t)}</td>"
        f"<td class='psnr'>{view.record(k, t)['psnr']:.2f}</td>"
        f"<td class='hfe'>{view.record(k, t)['hfe']:.1f}</td></tr>"
        for t in view.tickets
    ]
    return (
        "<table><tr><th style='text-align:left'>ticket</th><th>PSNR (dB)</th>"
        "<th>HFE (%)</th></tr>" + "".join(rows) + "</table>"
    )


def layers_table(view: ExplorerView, k: int) -> str:
    """One row per layer (1 = the input layer), one bar per ticket: the weights of the layer
    that the shown seed's ticket was trained with in round ``k``, out of the layer's size."""
    counts = {t: view.alive_per_layer(k, t) for t in view.tickets}
    rows = []
    labels = view.layer_labels()
    for layer, (fan_in, fan_out) in enumerate(view.layer_shapes(), 1):
        size = fan_in * fan_out
        cells = []
        for t in view.tickets:
            alive = counts[t][layer - 1]
            cells.append(
                f"<td class='lthsiren-layer-cell' data-layer='{layer}' data-ticket='{t}' "
                f"data-alive='{alive}' data-size='{size}' title='{alive / size:.1%}'>"
                f"<div class='bar'><div style='width:{100 * alive / size:.1f}%;"
                f"background:{css_color(t)}'></div></div>{alive:,} / {size:,}</td>"
            )
        rows.append(
            f"<tr><th style='text-align:left'>{html.escape(labels[layer - 1])}</th>"
            f"{''.join(cells)}</tr>"
        )
    head = "".join(f"<th>{ticket_label(t)}</th>" for t in view.tickets)
    return (
        "<div style='font-size:12px'>weights alive per layer in round "
        f"{k} (seed {view.seed}), out of the layer's size; layer 1 is the input layer</div>"
        f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def error_legend(view: ExplorerView) -> str:
    return (
        "<div style='font-size:12px'>error map |reconstruction &minus; target|"
        f"<div style='width:150px;height:10px;background:{view.error_scale_css()}'></div>"
        f"<span>0</span><span style='float:right'>&ge;{ERROR_MAX:g}</span></div>"
    )
