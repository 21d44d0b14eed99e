"""Stored figures: palette PNG for plots, JPEG for photographs and noise (chapters.figures)."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import lthsiren as L  # noqa: E402
from lthsiren.chapters.figures import (  # noqa: E402
    WIDGET_VIEW,
    _Encoder,
    compact_figures,
    encode,
    store_widgets_as_stills,
)  # noqa: E402


def _line_plot():
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.linspace(0, 10, 200)
    for k in range(4):
        ax.plot(x, np.sin(x + k), label=f"curve {k}")
    ax.legend()
    ax.set_title("a line plot")
    return fig


def _noise_panel():
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    rng = np.random.default_rng(0)
    for ax in axes:
        ax.imshow(rng.random((128, 128, 3)))
    return fig


def _default_png(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.tell()


def test_a_line_plot_is_a_smaller_palette_png():
    fig = _line_plot()
    kind, data = encode(fig)
    assert kind == "image/png"
    img = Image.open(io.BytesIO(data))
    assert img.mode == "P"
    assert len(data) < _default_png(fig)
    plt.close(fig)


def test_noise_and_photographs_become_a_much_smaller_jpeg():
    fig = _noise_panel()
    kind, data = encode(fig)
    assert kind == "image/jpeg"
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert len(data) < 0.5 * _default_png(fig)
    plt.close(fig)
    photo = plt.figure(figsize=(4, 4))
    img = L.load_image("grace_hopper", 64).pixels
    photo.gca().imshow(((img + 1) / 2).clamp(0, 1).numpy())
    assert encode(photo)[0] == "image/jpeg"
    plt.close(photo)


def test_exactly_one_of_png_and_jpeg_answers():
    encoder = _Encoder()
    png, jpeg = encoder.formatter("image/png"), encoder.formatter("image/jpeg")
    for make, answers in ((_line_plot, "png"), (_noise_panel, "jpeg"), (_line_plot, "png")):
        fig = make()
        got = {"png": png(fig), "jpeg": jpeg(fig)}
        assert got[answers] is not None
        assert [k for k, v in got.items() if v is None] == [k for k in got if k != answers]
        plt.close(fig)


def test_outside_ipython_nothing_happens():
    assert compact_figures() is False


def test_inside_ipython_figures_display_through_the_encoder(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    assert compact_figures() is True
    fig = _noise_panel()
    data, _ = shell.display_formatter.format(fig)
    assert "image/jpeg" in data and "image/png" not in data
    plt.close(fig)
    fig = _line_plot()
    data, _ = shell.display_formatter.format(fig)
    assert "image/png" in data and "image/jpeg" not in data
    assert Image.open(io.BytesIO(data["image/png"])).mode == "P"
    plt.close(fig)
    InteractiveShell.clear_instance()


def test_widgets_are_stored_as_their_still_picture(tmp_path):
    import json

    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["SparsityExplorer(run)"],
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {WIDGET_VIEW: view, "image/png": "iVBOR", "text/plain": "E"},
                    },
                    {"output_type": "display_data", "data": {WIDGET_VIEW: view}},
                ],
            }
        ],
        "metadata": {"widgets": {"state": {"abc": {}}}, "kernelspec": {"name": "python3"}},
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    assert store_widgets_as_stills(path) == 1
    after = json.loads(path.read_text())
    first, second = after["cells"][0]["outputs"]
    assert first["data"] == {"image/png": "iVBOR", "text/plain": "E"}
    assert second["data"] == {WIDGET_VIEW: view}  # nothing else to show: kept
    assert "widgets" not in after["metadata"] and after["metadata"]["kernelspec"]
