"""``lthsiren show RUN_DIR --html FILE``: a run as one self-contained page (lthsiren/webpage.py).

Without a browser: the page is one file that asks for nothing outside itself (every picture a
data URI, no address anywhere), holds one entry per complete round whose numbers are the run's
records and whose per-layer counts are its masks', and bad input ends in one line and exit 2.
In Chromium (marked ``browser``, launched as in tests/test_browser.py): the slider moves the
round label, the numbers, the pictures and the curve's marker, Play advances the round, and the
page makes no request.
"""

import base64
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from cli_checks import one_line_error
from PIL import Image
from test_browser import CHROMIUM, CHROMIUM_ARGS

import lthsiren as L
from lthsiren.cli import main
from lthsiren.report import summary_rows
from lthsiren.store import RunDir

DATA = re.compile(r'<script type="application/json" id="lthsiren-data">(.*?)</script>', re.S)


def _show(capsys, run, out, *extra):
    rc = main(["show", str(run), "--html", str(out), *extra])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err.strip()


def _page(capsys, run, out, *extra) -> tuple[str, dict]:
    rc, stdout, err = _show(capsys, run, out, *extra)
    assert rc == 0, err
    assert len(stdout.splitlines()) == 1 and stdout.startswith(f"wrote {out}"), stdout
    text = out.read_text()
    return text, json.loads(DATA.search(text).group(1))


def _copy(run: RunDir, tmp_path) -> RunDir:
    return RunDir(shutil.copytree(run.path, tmp_path / run.path.name))


def test_the_page_is_one_file_that_needs_nothing_outside_itself(tiny_run, tmp_path, capsys):
    out = tmp_path / "pages" / "run.html"
    text, data = _page(capsys, tiny_run.path, out)
    assert [p.name for p in out.parent.iterdir()] == ["run.html"]  # nothing else, no temp file
    assert text.startswith("<!DOCTYPE html>")
    lower = text.lower()
    assert "://" not in lower  # no address of any scheme (base64 holds no colon)
    for tag in ("<link", "<iframe", "<object", "<embed", "@import", "url(", "fetch(", "xmlhttp"):
        assert tag not in lower, tag
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) == 4  # the target and three tickets; the scripts are inline
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert lower.count("<script") == 2 and "<script src" not in lower
    side = tiny_run.config().side
    for uri in data["images"]:  # the stored pictures themselves: nothing rescaled
        with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
            assert im.format == "PNG" and im.size == (side, side)


def test_one_entry_per_round_with_the_runs_numbers(tiny_run, tmp_path, capsys):
    text, data = _page(capsys, tiny_run.path, tmp_path / "run.html")
    done = tiny_run.completed_rounds()
    assert [e["round"] for e in data["rounds"]] == list(range(done))
    assert f'max="{done - 1}"' in text
    assert data["tickets"] == ["winner", "random", "loser"]
    records = {(r["round"], r["ticket"]): r for r in tiny_run.records()}
    rows = {row["round"]: row for row in summary_rows(tiny_run.records())}  # the printed table
    for e in data["rounds"]:
        k = e["round"]
        assert f"{rows[k]['remaining_pct']:.1f}% of the weights remain" in e["label"]
        for t in data["tickets"]:
            v, r = e["t"][t], records[(k, t)]
            assert v["psnr_text"] == f"{rows[k][t]:.2f}" == f"{r['psnr']:.2f}"
            assert v["hfe_text"] == f"{r['hfe']:.1f}"
            stored = tiny_run.image_path(k, t, 0).read_bytes()
            assert data["images"][v["img"]] == "data:image/png;base64," + base64.b64encode(
                stored
            ).decode("ascii")
    start = data["rounds"][data["start"]]  # the page as served, before any script runs
    for t in data["tickets"]:
        assert f'id="psnr-{t}">{start["t"][t]["psnr_text"]}<' in text
    assert start["label"] in text


def test_the_per_layer_counts_are_the_masks(tiny_run, tmp_path, capsys):
    _, data = _page(capsys, tiny_run.path, tmp_path / "run.html")
    cfg = tiny_run.config()
    for e in data["rounds"]:
        masks, _ = tiny_run.round_state(e["round"])
        assert data["layers"] == [[m.shape[2], m.shape[1]] for m in masks]
        for t in data["tickets"]:
            i = L.ticket_index(cfg, t, 0)
            alive = e["t"][t]["alive"]
            assert alive == [int(m[i].sum()) for m in masks]
            record = next(
                r for r in tiny_run.records() if (r["round"], r["ticket"]) == (e["round"], t)
            )
            assert sum(alive) == record["alive"]


def test_an_interrupted_run_shows_its_complete_rounds(tiny_run, tmp_path, capsys):
    run = _copy(tiny_run, tmp_path)
    (run.path / run.round_file(3)).unlink()  # round 3's records written, its state not
    run.write_records([r for r in run.records() if r["round"] < 3 or r["ticket"] == "winner"])
    _, data = _page(capsys, run.path, tmp_path / "run.html")
    assert len(data["rounds"]) == 3 and "interrupted: 3 of 4 rounds complete" in data["about"]


def test_seed_zero_by_default_and_another_on_request(tmp_path, capsys):
    cfg = L.make_config("tiny", side=16, width=8, steps=5, rounds=2, seeds=[1, 0])
    run = L.run_experiment(cfg, root=tmp_path / "runs", progress=False)
    by = {(r["round"], r["ticket"], r["seed"]): r for r in run.records()}
    for extra, seed in (((), 0), (("--seed", "1"), 1)):
        _, data = _page(capsys, run.path, tmp_path / f"s{seed}.html", *extra)
        assert data["seed"] == seed
        for e in data["rounds"]:
            for t in data["tickets"]:
                assert e["t"][t]["psnr_text"] == f"{by[(e['round'], t, seed)]['psnr']:.2f}"
                stored = run.image_path(e["round"], t, seed).read_bytes()
                assert base64.b64decode(data["images"][e["t"][t]["img"]][22:]) == stored


def _no_records(run):
    run.write_records([])


def _no_picture(run):
    run.image_path(1, "random", 0).unlink()


def _bad_picture(run):
    run.image_path(2, "loser", 0).write_bytes(b"\x89PNG cut short")


BAD = [  # (what to do to a copy of the run, extra arguments, where the page goes, fragments)
    (None, [], "{tmp}/out.html", ["not an lthsiren run"]),
    (_no_records, [], "{tmp}/out.html", ["no complete round"]),
    (_no_picture, [], "{tmp}/out.html", ["random-s0.png is missing"]),
    (_bad_picture, [], "{tmp}/out.html", ["loser-s0.png", "not a readable PNG"]),
    (lambda run: None, ["--seed", "3"], "{tmp}/out.html", ["seed 3 is not in", "[0]"]),
    (lambda run: None, [], "{tmp}", ["is a directory"]),
    (lambda run: None, [], "{tmp}/file.txt/out.html", ["could not write"]),
]


@pytest.mark.parametrize("damage,extra,out,fragments", BAD, ids=[b[-1][0] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(
    tiny_run, tmp_path, capsys, damage, extra, out, fragments
):
    run = _copy(tiny_run, tmp_path / "copy")
    (tmp_path / "file.txt").write_text("a file, not a folder\n")
    if damage is None:
        run = RunDir(tmp_path / "copy")  # a folder that holds a run, not a run
    else:
        damage(run)
    out = out.format(tmp=tmp_path)
    rc, stdout, err = _show(capsys, run.path, out, *extra)
    one_line_error(rc, err, *fragments)
    assert stdout == "" and not (tmp_path / "out.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "file.txt"]


@pytest.mark.parametrize("option", [["--seed", "0"], ["--series", "../index.html"]])
def test_page_options_without_html_are_refused(tiny_run, capsys, option):
    rc = main(["show", str(tiny_run.path), *option])
    one_line_error(rc, capsys.readouterr().err.strip(), option[0], "--html")


STATE = """() => ({
  round: document.getElementById('round').value,
  label: document.getElementById('label').textContent,
  psnr: document.getElementById('psnr-winner').textContent,
  src: document.getElementById('img-winner').getAttribute('src'),
  marker: document.getElementById('marker').getAttribute('x1'),
  dot: document.getElementById('dot-winner').getAttribute('cy'),
  count: document.getElementById('count-winner-2').textContent,
  play: document.getElementById('play').textContent,
})"""


@pytest.mark.browser
def test_the_page_responds_in_chromium(tiny_run, tmp_path, capsys):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "run.html"
    _, data = _page(capsys, tiny_run.path, out)
    rounds = data["rounds"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(out.as_uri())
            before = page.evaluate(STATE)
            k = data["start"]
            assert before["round"] == str(k) and before["label"] == rounds[k]["label"]

            page.focus("#round")
            page.keyboard.press("ArrowLeft")
            after = page.evaluate(STATE)
            new = rounds[k - 1]
            assert after["round"] == str(k - 1) and after["label"] == new["label"]
            assert after["psnr"] == new["t"]["winner"]["psnr_text"] != before["psnr"]
            assert after["src"] == data["images"][new["t"]["winner"]["img"]] != before["src"]
            assert float(after["marker"]) == new["x"] != float(before["marker"])
            assert float(after["dot"]) == new["t"]["winner"]["y"]
            assert after["count"].replace(",", "").split(" / ")[0] == str(
                new["t"]["winner"]["alive"][1]
            )

            page.keyboard.press("Home")
            assert page.evaluate(STATE)["round"] == "0"
            page.click("#play")
            assert page.evaluate(STATE)["play"] == "Pause"
            page.wait_for_function("document.getElementById('round').value === '1'", timeout=5000)
            last = str(len(rounds) - 1)
            page.wait_for_function(
                f"document.getElementById('round').value === '{last}'", timeout=10_000
            )
            page.wait_for_function(
                "document.getElementById('play').textContent === 'Play'", timeout=5000
            )
            end = page.evaluate(STATE)
            assert end["label"] == rounds[-1]["label"] and float(end["marker"]) == rounds[-1]["x"]
        finally:
            browser.close()
    assert not errors
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests


def test_the_page_explains_itself_in_words(tmp_path, capsys):
    strategies = ("smallest", "random", "largest", "reinit", "budget", "smallest-layer")
    cfg = L.make_config("tiny", side=16, width=8, steps=5, rounds=2, strategies=strategies)
    run = L.run_experiment(cfg, root=tmp_path / "runs", progress=False)
    text, data = _page(capsys, run.path, tmp_path / "run.html", "--series", "../index.html")
    title = re.search("<title>(.*?)</title>", text).group(1)
    assert title == f"Sparsity explorer: {cfg.image}, tiny preset, seed 0" == data["title"]
    assert f"<h1>{title}</h1>" in text and run.path.name not in title  # words, not a hash
    tickets = ["winner", "random", "loser", "reinit", "budget", "winner-layer"]
    assert data["tickets"] == tickets  # the controls' tickets are shown when the run has them
    legend = dict(re.findall(r"<dt[^>]*>([^<]*)</dt><dd>([^<]*)</dd>", text))
    assert list(legend) == [*tickets, "PSNR", "HFE", "layers"]
    assert "largest" in legend["loser"] and "winner's mask" in legend["reinit"]
    assert "winner's count of weights in every layer" in legend["budget"]
    assert "each layer" in legend["winner-layer"] and "dB" in legend["PSNR"]
    assert f"layer {cfg.depth} gives the colour" in legend["layers"]
    for t in tickets:
        assert f'id="img-{t}"' in text and f'id="psnr-{t}"' in text
    assert '<a id="series" href="../index.html" target="_top">' in text
    plain, _ = _page(capsys, run.path, tmp_path / "plain.html")
    assert 'id="series"' not in plain  # no link unless asked: a mailed page has no series
