"""Small, crisp stored figures: how every notebook of the series displays matplotlib figures.

A repository page shows the outputs stored in a notebook, and matplotlib's default full-colour
PNG makes a panel of photographs or noise weigh hundreds of kilobytes. :func:`compact_figures`
(called once in each notebook's first cell) registers IPython display formatters for figures:
a figure of lines, text and colour maps becomes a palette PNG (256 colours, no dithering, so
lines and text stay sharp: the palette moves its pixels by about one grey level on average); a
figure with photographs or noise in it, which a palette would band (several grey levels on
average), becomes a JPEG. Nothing changes outside IPython, and the figure itself is untouched.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

DPI = 100
PALETTE_COLOURS = 256
JPEG_QUALITY = 75
# a palette that moves pixels by more than this (RMS, in 8-bit levels) would band a picture: JPEG
MAX_PALETTE_ERROR = 1.5


def _rendered(fig: Figure) -> Image.Image:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def encode(fig: Figure) -> tuple[str, bytes]:
    """The figure as ``(mime type, bytes)``: a palette PNG, or a JPEG when it holds pictures."""
    img = _rendered(fig)
    palette = img.quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    moved = np.asarray(img, dtype=np.float32) - np.asarray(palette.convert("RGB"), np.float32)
    out = io.BytesIO()
    if float(np.sqrt(np.mean(moved**2))) > MAX_PALETTE_ERROR:
        img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        return "image/jpeg", out.getvalue()
    palette.save(out, format="PNG", optimize=True)
    return "image/png", out.getvalue()


class _Encoder:
    """One encoding per figure shown: IPython asks its formatters in turn (image/png before
    image/jpeg) for the same figure, and exactly one of the two answers."""

    def __init__(self) -> None:
        self._last: tuple[int, str, bytes] | None = None

    def formatter(self, mime: str):
        def format_figure(fig: Figure):
            # the PNG formatter always encodes afresh; the JPEG one reuses that encoding
            if mime == "image/png" or self._last is None or self._last[0] != id(fig):
                self._last = (id(fig), *encode(fig))
            _, kind, data = self._last
            return data if kind == mime else None

        return format_figure


def compact_figures() -> bool:
    """Display matplotlib figures through :func:`encode` in this IPython session; False (and
    nothing done) outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    # the inline backend is loaded lazily, at the first figure, and then installs its own PNG
    # formatter: load it now so that ours, installed after it, is the one that stays
    import matplotlib
    import matplotlib.pyplot as plt

    plt.switch_backend(matplotlib.get_backend())
    encoder = _Encoder()
    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, encoder.formatter("image/png"))
    formatters["image/jpeg"].for_type(Figure, encoder.formatter("image/jpeg"))
    return True


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def store_widgets_as_stills(path) -> int:
    """Rewrite the notebook at ``path`` without live-widget parts (see the module docstring);
    returns how many outputs lost their widget view. Outputs with nothing but a widget view are
    kept as they are."""
    path = Path(path)
    nb = json.loads(path.read_text())
    changed = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
                changed += 1
    nb.get("metadata", {}).pop("widgets", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {store_widgets_as_stills(name)} widget output(s) stored as stills")
