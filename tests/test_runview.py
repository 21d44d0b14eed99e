"""One view of a run folder (lthsiren/store/runview.py) for the web page and the notebooks'
explorer: both number the rounds 0..N and say "round k of N", both number the layers from 1, and
both read the same records, masks and pictures."""

import re
import shutil

import pytest

import lthsiren as L
from lthsiren.chapters.explorer import SparsityExplorer
from lthsiren.errors import LthsirenError
from lthsiren.store import RunDir
from lthsiren.store.runview import RunView
from lthsiren.webpage import page_data, render_page


def test_the_page_and_the_explorer_say_the_same_round(tiny_run):
    last = tiny_run.config().rounds - 1
    data = page_data(tiny_run)
    ex = SparsityExplorer(tiny_run)
    for e in data["rounds"]:
        k = e["round"]
        assert e["label"].startswith(f"round {k} of {last}: ")
        ex.round = k
        title = re.sub("<[^>]+>", "", ex.title.value)
        assert title == e["label"].capitalize() + "; seed 0"
        assert repr(ex).startswith(f"SparsityExplorer: round {k} of {last} (")


def test_the_page_numbers_its_layers_from_1(tiny_run):
    data = page_data(tiny_run)
    html = render_page(data)
    depth = len(data["layers"])
    for layer, (n_in, n_out) in enumerate(data["layers"], 1):
        assert f"<span>layer {layer} ({n_in}\u2192{n_out})</span>" in html
        assert f'id="count-winner-{layer}"' in html
    assert 'id="count-winner-0"' not in html and f'id="count-winner-{depth + 1}"' not in html


def test_the_page_and_the_explorer_label_the_layers_alike(tiny_run):
    """The glossary's numbering (Linear layer 1 is fed by the coordinates), word for word."""
    ex = SparsityExplorer(tiny_run)
    shown = re.findall(r"<th style='text-align:left'>([^<]*)</th>", ex.layers.value)
    data = page_data(tiny_run)
    on_page = re.findall(r'<div class="layer"><span>([^<]*)</span>', render_page(data))
    assert shown == data["layer_labels"] == on_page[: len(shown)]
    assert shown[0] == "layer 1 (2\u219216)" and len(shown) == tiny_run.config().depth
    assert on_page == shown * len(data["tickets"])  # one bar per layer and ticket


def test_the_subtitle_names_the_seeds_only_when_there_are_several(tiny_run, tmp_path):
    about = page_data(tiny_run)["about"]
    assert about.endswith("; seed 0") and "of seeds" not in about
    cfg = L.make_config("tiny", side=16, width=8, steps=5, rounds=2, seeds=[1, 0])
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert page_data(run, 1)["about"].endswith("; seed 1 of seeds 0, 1")


def test_an_interrupted_run_counts_to_the_last_round_it_was_set_up_for(tiny_run, tmp_path):
    run = RunDir(shutil.copytree(tiny_run.path, tmp_path / "part"))
    (run.path / run.round_file(2)).unlink()
    view = RunView(run)
    assert view.rounds == [0, 1] and view.interrupted
    assert view.round_text(1) == f"round 1 of {tiny_run.config().rounds - 1}"
    assert view.check_round(None) == 1
    with pytest.raises(LthsirenError, match="round 2 is not available"):
        view.check_round(2)


def test_the_view_reads_the_run(tiny_run):
    view = RunView(tiny_run.path)
    cfg = tiny_run.config()
    assert view.seeds == [0] and view.tickets == ["winner", "random", "loser"]
    assert view.n_weights == sum(a * b for a, b in view.layer_shapes())
    for r in tiny_run.records():
        assert view.record(r["round"], r["ticket"], r["seed"]) == r
        masks, _ = tiny_run.round_state(r["round"])
        i = L.ticket_index(cfg, r["ticket"], r["seed"])
        assert view.alive_per_layer(r["round"], r["ticket"], r["seed"]) == [
            int(m[i].sum()) for m in masks
        ]
    with pytest.raises(LthsirenError, match="seed 2 is not in"):
        view.check_seed(2)
    with pytest.raises(TypeError):
        RunView(3)
