"""The sparsity explorer, without a browser: built from a tiny run, driven through its slider."""

import base64
import io

import pytest
from PIL import Image

from lthsiren.chapters.explorer import SparsityExplorer, explorer_figure
from lthsiren.errors import LthsirenError

ROUNDS = 4


@pytest.fixture(autouse=True, scope="module")
def _shared_run_has_four_rounds(tiny_run):
    assert tiny_run.config().rounds == ROUNDS


def pct(run):
    """Remaining % by round (a width-16 net rounds 20% of its alive weights coarsely)."""
    return {r["round"]: 100 * r["remaining"] for r in run.records() if r["ticket"] == "winner"}


def test_builds_from_run_or_path(tiny_run):
    for source in (tiny_run, tiny_run.path, str(tiny_run.path)):
        ex = SparsityExplorer(source)
        assert ex.round == 2  # default: 64% remaining
        assert list(ex.slider.options) == [(f"{p:.1f}%", k) for k, p in pct(tiny_run).items()]
        assert set(ex.images) == {"winner", "random", "loser"}
        assert ex.target_image.value == (tiny_run.path / "images" / "target.png").read_bytes()
        assert bytes(ex.curve.value).startswith(b"\x89PNG")


def test_slider_changes_text_and_images(tiny_run):
    ex = SparsityExplorer(tiny_run, round=0)
    text0, title0 = ex.psnr_text.value, ex.title.value
    images0 = {t: img.value for t, img in ex.images.items()}
    curve0 = ex.curve.value
    winner0 = next(r for r in tiny_run.records() if r["round"] == 0 and r["ticket"] == "winner")
    assert f"{winner0['psnr']:.2f}" in text0

    ex.slider.value = 3
    assert ex.round == 3
    assert ex.psnr_text.value != text0
    assert ex.title.value != title0 and f"{pct(tiny_run)[3]:.1f}%" in ex.title.value
    for t, img in ex.images.items():
        assert img.value == tiny_run.image_path(3, t, 0).read_bytes()
        assert img.value != images0[t]
    assert ex.curve.value != curve0  # the marker moved
    loser3 = next(r for r in tiny_run.records() if r["round"] == 3 and r["ticket"] == "loser")
    assert f"{loser3['psnr']:.2f}" in ex.psnr_text.value

    ex.round = 0  # the property moves the slider too
    assert ex.slider.value == 0 and ex.psnr_text.value == text0 and ex.curve.value == curve0


def test_css_classes_for_browser_tests(tiny_run):
    ex = SparsityExplorer(tiny_run)
    assert "lthsiren-explorer" in ex._dom_classes
    assert "lthsiren-slider" in ex.slider._dom_classes
    assert "lthsiren-psnr" in ex.psnr_text._dom_classes
    assert "lthsiren-curve" in ex.curve._dom_classes
    assert "lthsiren-image-winner" in ex.images["winner"]._dom_classes


def test_mimebundle_has_png_and_stable_text(tiny_run):
    ex = SparsityExplorer(tiny_run)
    data = ex._repr_mimebundle_()
    p = pct(tiny_run)
    assert data["text/plain"] == f"SparsityExplorer: round 2 of {ROUNDS} ({p[2]:.1f}% remaining)"
    assert "application/vnd.jupyter.widget-view+json" in data
    png = base64.b64decode(data["image/png"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    ex.round = 1
    moved = ex._repr_mimebundle_()
    assert moved["text/plain"] == f"SparsityExplorer: round 1 of {ROUNDS} ({p[1]:.1f}% remaining)"
    assert moved["image/png"] != data["image/png"]


def test_static_figure(tiny_run):
    fig = explorer_figure(tiny_run, 1)
    assert len(fig.axes) == 5  # target, three tickets, the curve
    assert f"{pct(tiny_run)[1]:.1f}% remaining" in fig._suptitle.get_text()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_bad_round_and_seed(tiny_run):
    with pytest.raises(LthsirenError, match="round 9"):
        SparsityExplorer(tiny_run, round=9)
    with pytest.raises(LthsirenError, match="seed 5"):
        explorer_figure(tiny_run, seed=5)
    with pytest.raises(LthsirenError, match="not an lthsiren run"):
        SparsityExplorer(tiny_run.path / "images")
