"""The sparsity explorer, without a browser: built from a tiny run, driven through its controls
(slider, Play link, seed selector, PSNR/HFE toggle, error-map box), and its still picture."""

import base64
import io
import re
import shutil

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_hex
from PIL import Image

import lthsiren as L
from lthsiren.chapters.explorer import PLAY_MS, SparsityExplorer, explorer_figure
from lthsiren.chapters.explorer_data import ERROR_CMAP, ERROR_MAX
from lthsiren.errors import LthsirenError
from lthsiren.network.ticket import alive_per_layer, mask_of, ticket_index
from lthsiren.report import COLORS
from lthsiren.store import RunDir

ROUNDS = 4
STILL_PNG_MAX = 40_000  # bytes: the tiny run's still picture (about 18 kB measured)


@pytest.fixture(autouse=True, scope="module")
def _shared_run_has_four_rounds(tiny_run):
    assert tiny_run.config().rounds == ROUNDS


@pytest.fixture(scope="module")
def two_seeds(tiny_run, tmp_path_factory):
    """The shared tiny run's settings with two seeds."""
    c = tiny_run.config()
    cfg = L.make_config(
        "tiny", seeds=(0, 1), side=c.side, width=c.width, steps=c.steps, rounds=c.rounds
    )
    return L.run_experiment(cfg, root=tmp_path_factory.mktemp("two-seeds"), progress=False)


def pct(run):
    """Remaining % by round (a width-16 net rounds 20% of its alive weights coarsely)."""
    return {r["round"]: 100 * r["remaining"] for r in run.records() if r["ticket"] == "winner"}


def record(run, k, ticket, seed=0):
    return next(
        r for r in run.records() if (r["round"], r["ticket"], r["seed"]) == (k, ticket, seed)
    )


def shown_layers(ex):
    """{(layer, ticket): (alive, size)} as the per-layer bars show them."""
    cells = re.findall(
        r"data-layer='(\d+)' data-ticket='([\w-]+)' data-alive='(\d+)' data-size='(\d+)'",
        ex.layers.value,
    )
    return {(int(l), t): (int(a), int(s)) for l, t, a, s in cells}


def stored_layers(run, k, tickets, seed):
    masks, _ = run.round_state(k)
    out = {}
    for t in tickets:
        counts = alive_per_layer(mask_of(masks, ticket_index(run.config(), t, seed)))
        for layer, (alive, m) in enumerate(zip(counts, masks), 1):
            out[(layer, t)] = (alive, m.shape[1] * m.shape[2])
    return out


def html_widgets(w):
    if isinstance(w, widgets.HTML):
        yield w
    for child in getattr(w, "children", ()):
        yield from html_widgets(child)


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
    curve0, layers0 = ex.curve.value, ex.layers.value
    assert f"{record(tiny_run, 0, 'winner')['psnr']:.2f}" in text0

    ex.slider.value = 3
    assert ex.round == 3
    assert ex.psnr_text.value != text0 and ex.layers.value != layers0
    assert ex.title.value != title0 and f"{pct(tiny_run)[3]:.1f}%" in ex.title.value
    for t, img in ex.images.items():
        assert img.value == tiny_run.image_path(3, t, 0).read_bytes()
        assert img.value != images0[t]
    assert ex.curve.value != curve0  # the rings moved
    assert f"{record(tiny_run, 3, 'loser')['psnr']:.2f}" in ex.psnr_text.value

    ex.round = 0  # the property moves the slider too
    assert ex.slider.value == 0 and ex.psnr_text.value == text0 and ex.curve.value == curve0


def test_play_steps_the_slider_in_the_browser(tiny_run, tmp_path):
    ex = SparsityExplorer(tiny_run, round=1)
    assert isinstance(ex.play, widgets.Play) and ex.play.interval == PLAY_MS
    assert ex.play_link.source == (ex.play, "value")
    assert ex.play_link.target == (ex.slider, "index")  # jslink: no kernel round trip
    assert (ex.play.min, ex.play.max, ex.play.value) == (0, ROUNDS - 1, 1)
    # the slider's index is the round, so the Play value is the round too
    assert [k for _, k in ex.slider.options] == list(range(ROUNDS))
    # an interrupted run: Play stops at the last complete round
    part = RunDir(tmp_path / "part")
    shutil.copytree(tiny_run.path, part.path)
    (part.path / part.round_file(ROUNDS - 1)).unlink()
    assert part.completed_rounds() == ROUNDS - 1
    assert SparsityExplorer(part).play.max == ROUNDS - 2


def test_metric_toggle_switches_the_curve(tiny_run):
    ex = SparsityExplorer(tiny_run, round=1)
    assert ex.metric == "psnr" and ex.metric_toggle.options == (("PSNR", "psnr"), ("HFE", "hfe"))
    psnr_curve = ex.curve.value
    ex.metric_toggle.value = "hfe"
    assert ex.metric == "hfe" and ex.curve.value != psnr_curve
    ex.metric = "psnr"
    assert ex.curve.value == psnr_curve
    for metric, label in (("psnr", "PSNR (dB)"), ("hfe", "HFE (%)")):
        ex.metric = metric
        curve_ax = ex.figure().axes[-1]
        assert curve_ax.get_ylabel() == label
        for t in ex.images:  # the rings sit on the metric's values of the round shown
            (ring,) = [a for a in curve_ax.lines if a.get_gid() == f"lthsiren-marker-{t}"]
            assert ring.get_ydata()[0] == pytest.approx(record(tiny_run, 1, t)[metric])
    with pytest.raises(ValueError, match="metric"):
        ex.metric = "ssim"


@pytest.mark.parametrize("k", range(ROUNDS))
def test_layer_counts_are_the_stored_masks(tiny_run, k):
    ex = SparsityExplorer(tiny_run, round=k)
    shown = shown_layers(ex)
    assert shown == stored_layers(tiny_run, k, ex.images, seed=0)
    layers = sorted({layer for layer, _ in shown})
    assert layers == list(range(1, len(tiny_run.round_state(k)[0]) + 1))  # 1 = the input layer
    assert "layer 1 (2\u219216)" in ex.layers.value
    for t in ex.images:
        alive = sum(shown[(layer, t)][0] for layer in layers)
        assert alive == record(tiny_run, k, t)["alive"]
        assert f"{shown[(2, t)][0]:,} / {shown[(2, t)][1]:,}" in ex.layers.value


def test_seed_selector_follows_the_seed(tiny_run, two_seeds):
    one = SparsityExplorer(tiny_run)
    assert one.seed_select.disabled and one.seed_select.layout.display == "none"

    ex = SparsityExplorer(two_seeds, round=2)
    assert ex.seed_select.options == (("seed 0", 0), ("seed 1", 1))
    assert not ex.seed_select.disabled and ex.seed_select.layout.display != "none"
    before = {t: img.value for t, img in ex.images.items()}
    text0, curve0 = ex.psnr_text.value, ex.curve.value
    ex.seed_select.value = 1
    assert ex.seed == 1 and "seed 1" in ex.title.value
    for t, img in ex.images.items():
        assert img.value == two_seeds.image_path(2, t, 1).read_bytes() != before[t]
        assert f"{record(two_seeds, 2, t, seed=1)['psnr']:.2f}" in ex.psnr_text.value
        assert f"{record(two_seeds, 2, t, seed=1)['psnr']:.2f}" in ex.captions[t].value
    assert ex.psnr_text.value != text0 and ex.curve.value != curve0
    assert shown_layers(ex) == stored_layers(two_seeds, 2, ex.images, seed=1)
    assert shown_layers(ex) != stored_layers(two_seeds, 2, ex.images, seed=0)
    ex.seed = 0
    assert ex.psnr_text.value == text0 and ex.curve.value == curve0
    assert SparsityExplorer(two_seeds, seed=1).seed_select.value == 1
    with pytest.raises(LthsirenError, match="seed 7"):
        ex.seed = 7


def test_error_map_replaces_the_pictures_on_a_fixed_scale(tiny_run):
    ex = SparsityExplorer(tiny_run, round=3)
    target = np.asarray(Image.open(tiny_run.path / "images" / "target.png").convert("RGB"))
    assert not ex.error_map and ex.target_caption.value == ""
    ex.error_box.value = True
    assert ex.error_map and f"&ge;{ERROR_MAX:g}" in ex.target_caption.value
    assert ex.target_image.value == (tiny_run.path / "images" / "target.png").read_bytes()
    for t, img in ex.images.items():
        recon = np.asarray(Image.open(tiny_run.image_path(3, t, 0)).convert("RGB"))
        err = np.abs(recon.astype(float) - target).mean(axis=2) / 255
        want = colormaps[ERROR_CMAP](np.clip(err / ERROR_MAX, 0, 1))[..., :3] * 255
        got = np.asarray(Image.open(io.BytesIO(img.value)).convert("RGB"))
        assert got.shape == target.shape
        assert np.abs(got.astype(float) - want).max() <= 1  # the scale is fixed, not per image
    ex.round = 1
    assert ex.images["winner"].value != tiny_run.image_path(1, "winner", 0).read_bytes()
    ex.error_map = False
    assert ex.images["winner"].value == tiny_run.image_path(1, "winner", 0).read_bytes()
    fig = explorer_figure(tiny_run, 3, error_map=True)
    for ax in fig.axes[1:-1]:  # the tickets' panels
        assert ax.images[0].get_clim() == (0, ERROR_MAX)


def test_colours_are_css(tiny_run):
    ex = SparsityExplorer(tiny_run)
    colours = [c for w in html_widgets(ex) for c in re.findall(r"color:\s*([^;'\"]+)", w.value)]
    assert colours, "the labels and tables name their tickets' colours"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours), colours
    assert to_hex(COLORS["winner"]) in ex.psnr_text.value
    assert "tab:" not in "".join(w.value for w in html_widgets(ex))


def test_css_classes_for_browser_tests(tiny_run):
    ex = SparsityExplorer(tiny_run)
    assert "lthsiren-explorer" in ex._dom_classes
    for w, cls in [
        (ex.slider, "slider"),
        (ex.play, "play"),
        (ex.seed_select, "seed"),
        (ex.metric_toggle, "metric"),
        (ex.error_box, "error-map"),
        (ex.psnr_text, "psnr"),
        (ex.curve, "curve"),
        (ex.layers, "layers"),
        (ex.images["winner"], "image-winner"),
    ]:
        assert f"lthsiren-{cls}" in w._dom_classes


def test_mimebundle_has_png_and_stable_text(tiny_run):
    ex = SparsityExplorer(tiny_run)
    data = ex._repr_mimebundle_()
    p, last = pct(tiny_run), ROUNDS - 1
    assert data["text/plain"] == f"SparsityExplorer: round 2 of {last} ({p[2]:.1f}% remaining)"
    assert "application/vnd.jupyter.widget-view+json" in data
    png = base64.b64decode(data["image/png"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert len(png) < STILL_PNG_MAX
    ex.round = 1
    moved = ex._repr_mimebundle_()
    assert moved["text/plain"] == f"SparsityExplorer: round 1 of {last} ({p[1]:.1f}% remaining)"
    assert moved["image/png"] != data["image/png"]


def test_static_figure_draws_the_slider(tiny_run):
    fig = explorer_figure(tiny_run, 1)
    assert len(fig.axes) == 5  # target, three tickets, the curve (the slider is no axes)
    assert repr(fig) == "<Figure size 1080x350 with 5 Axes>"  # what notebook 04 prints
    assert f"{pct(tiny_run)[1]:.1f}% remaining" in fig._suptitle.get_text()

    def slider(fig):
        by_gid = {a.get_gid(): a for a in [*fig.artists, *fig.texts] if a.get_gid()}
        return by_gid["lthsiren-slider-marker"], by_gid["lthsiren-slider-label"]

    marker, label = slider(fig)
    assert label.get_text() == f"round 1 of {ROUNDS - 1}, {pct(tiny_run)[1]:.1f}% left"
    marker3, label3 = slider(explorer_figure(tiny_run, 3))
    assert marker3.get_xdata()[0] > marker.get_xdata()[0]
    assert label3.get_text().startswith("round 3 of")

    png = SparsityExplorer(tiny_run, round=1).to_png()
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.mode == "P"  # a palette keeps it small
        assert im.size == (1080, 350)
    assert len(png) < STILL_PNG_MAX


def test_bad_round_and_seed(tiny_run):
    with pytest.raises(LthsirenError, match="round 9"):
        SparsityExplorer(tiny_run, round=9)
    with pytest.raises(LthsirenError, match="seed 5"):
        explorer_figure(tiny_run, seed=5)
    with pytest.raises(LthsirenError, match="not an lthsiren run"):
        SparsityExplorer(tiny_run.path / "images")


def test_a_damaged_round_file_costs_only_its_layer_counts(tiny_run, tmp_path):
    run = RunDir(tmp_path / "damaged")
    shutil.copytree(tiny_run.path, run.path)
    (run.path / run.round_file(1)).write_bytes(b"not a tensor file")
    ex = SparsityExplorer(run, round=1)
    assert "no per-layer counts" in ex.layers.value and "damaged" in ex.layers.value
    assert f"{record(tiny_run, 1, 'winner')['psnr']:.2f}" in ex.psnr_text.value
    ex.round = 2
    assert shown_layers(ex) == stored_layers(tiny_run, 2, ex.images, seed=0)
