"""``lthsiren site OUT``: the notebook series as a static web site (lthsiren/site.py).

Built once from this repository (the stored notebook outputs and the committed explorer pages,
no run folder, no network), then read as files: the index lists every notebook in order under
its heading, every local link and picture resolves, nothing is fetched from outside the site,
and each stored explorer becomes its live page at the notebook's round. A scratch repository
shows that a missing or stale explorer page stops the build, and that a folder which is not a
site is never overwritten. In Chromium (marked ``browser``, launched as in
tests/test_browser.py): every page loads with no failed request and no request outside the
local files, its pictures show, and in a notebook's embedded explorer the slider and Play change
the pictures and numbers.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from cli_checks import one_line_error
from test_browser import CHROMIUM, CHROMIUM_ARGS

from lthsiren.cli import main
from lthsiren.errors import LthsirenError
from lthsiren.site import build_site, notebook_title, series_notebooks
from lthsiren.site_html import explorer_outputs, page_data_of
from lthsiren.webpage import render_page, write_page

ROOT = Path(__file__).resolve().parent.parent


class _Refs(HTMLParser):
    """The links, sources and ids of one page."""

    def __init__(self):
        super().__init__()
        self.links, self.sources, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for name in ("src", "data") if tag != "a" else ():
            if a.get(name):
                self.sources.append((tag, a[name]))
        if tag == "link" and a.get("href"):
            self.sources.append((tag, a["href"]))


def _refs(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text(encoding="utf-8"))
    return refs


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    line = build_site(out, repo=ROOT)
    assert line.startswith(f"wrote {out}: {len(series_notebooks(ROOT))} notebooks")
    return out


def test_the_index_lists_every_notebook_in_order_under_its_heading(site):
    notebooks = series_notebooks(ROOT)
    index = (site / "index.html").read_text(encoding="utf-8")
    listed = re.search(r'<ol id="notebooks">(.*?)</ol>', index, re.S).group(1)
    entries = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', listed)
    assert [href for href, _ in entries] == [p.stem + ".html" for p in notebooks]
    for (_, title), path in zip(entries, notebooks):
        heading = notebook_title(nbformat.read(path, as_version=4), "")
        assert heading and title.replace("&#x27;", "'") == heading
    for page in ("glossary.html", "reference.html", "readme.html"):
        assert f'href="{page}"' in index
    assert 'href="explorers/laptop-bb114b5d.html"' in index


def test_every_local_link_and_picture_resolves(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == len(series_notebooks(ROOT)) + 5  # index, 3 docs, 1 explorer
    ids = {p: _refs(p).ids for p in pages}
    for page in pages:
        refs = _refs(page)
        for href in refs.links + [src for _, src in refs.sources]:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not parts.scheme, f"{page.name}: {href}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.name} links to a missing {href}"
            if parts.fragment and not parts.fragment.startswith("round="):
                assert parts.fragment in ids[target], f"{page.name}: no anchor {href}"


def test_nothing_is_fetched_from_outside_the_site(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag, src in _refs(page).sources:
            assert not urlsplit(src).scheme or src.startswith("data:"), (page.name, tag, src)
        styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", text, re.S | re.I))
        assert "@import" not in styles, page.name
        for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", styles):
            assert url.startswith(("data:", "#")), (page.name, url[:80])


def test_each_stored_explorer_becomes_its_live_page_at_the_notebooks_round(site):
    shown = 0
    for path in series_notebooks(ROOT):
        stored = explorer_outputs(nbformat.read(path, as_version=4))
        page = (site / (path.stem + ".html")).read_text(encoding="utf-8")
        frames = re.findall(r'<iframe src="([^"]+)"', page)
        assert frames == [f"explorers/{run}.html#round={k}" for _, run, k, _, _ in stored]
        assert page.count("SparsityExplorer: ") == 0  # the still picture's text is gone
        shown += len(stored)
    assert shown >= 2  # notebooks 03 and 04 show the explorer


def test_the_committed_explorer_pages_are_what_the_generator_makes(tmp_path):
    pages = sorted((ROOT / "docs" / "explorers").glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        data = page_data_of(text)
        assert render_page(data) == text, f"{page.name} is stale: remake it (see README)"
        assert data["series"] == "../index.html" and len(text.encode()) < 1_500_000
        stored_run = ROOT / "runs" / page.stem  # a results store that holds the run itself
        if stored_run.is_dir():
            write_page(stored_run, tmp_path / page.name, series="../index.html")
            assert (tmp_path / page.name).read_text(encoding="utf-8") == text, page.name


def _scratch_repo(tmp: Path, run_key: str, headline: str) -> Path:
    """A repository of one notebook that printed ``run_key`` and stored an explorer output."""
    repo = tmp / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "docs").mkdir()
    (repo / "README.md").write_text("# Readme\n\nSee [the glossary](docs/glossary.md).\n")
    (repo / "docs" / "glossary.md").write_text("# Notation\n\n## PSNR\n")
    (repo / "docs" / "reference.md").write_text("# Reference\n\n[PSNR](glossary.md#psnr)\n")
    nb = nbformat.v4.new_notebook()
    ran = nbformat.v4.new_code_cell("run = L.run_experiment(cfg)")
    ran.outputs = [nbformat.v4.new_output("stream", text=f"results in ../runs/{run_key}\n")]
    shown = nbformat.v4.new_code_cell("SparsityExplorer(run, round=1)", execution_count=2)
    shown.outputs = [
        nbformat.v4.new_output(
            "execute_result", {"text/plain": f"SparsityExplorer: {headline}"}, execution_count=2
        )
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Scratch"), ran, shown]
    nbformat.write(nb, repo / "notebooks" / "01_scratch.ipynb")
    return repo


def test_a_missing_or_stale_explorer_page_stops_the_build(tiny_run, tmp_path):
    key, last = tiny_run.path.name, tiny_run.config().rounds - 1
    pct = f"{100 * tiny_run.records()[3]['remaining']:.1f}"
    assert tiny_run.records()[3]["round"] == 1
    repo = _scratch_repo(tmp_path, key, f"round 1 of {last} ({pct}% remaining)")
    with pytest.raises(LthsirenError, match=f"docs/explorers/{key}.html is missing"):
        build_site(tmp_path / "out", repo=repo)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # no half site left
    (repo / "docs" / "explorers").mkdir()
    write_page(tiny_run, repo / "docs" / "explorers" / f"{key}.html", series="../index.html")
    build_site(tmp_path / "out", repo=repo)
    page = (tmp_path / "out" / "01_scratch.html").read_text(encoding="utf-8")
    assert f'<iframe src="explorers/{key}.html#round=1"' in page
    assert 'href="glossary.html"' in (tmp_path / "out" / "readme.html").read_text()
    assert 'id="psnr"' in (tmp_path / "out" / "glossary.html").read_text()  # GitHub's anchors
    marker = json.loads((tmp_path / "out" / ".lthsiren-site").read_text())
    assert marker == {"notebooks": ["01_scratch.ipynb"]}

    stale = _scratch_repo(tmp_path / "stale", key, f"round 1 of {last} (12.3% remaining)")
    shutil.copytree(repo / "docs" / "explorers", stale / "docs" / "explorers")
    with pytest.raises(LthsirenError, match="does not show what 01_scratch.ipynb's stored"):
        build_site(tmp_path / "out", repo=stale)
    assert (tmp_path / "out" / "01_scratch.html").read_text(encoding="utf-8") == page


def test_a_folder_that_is_not_a_site_is_never_overwritten(tmp_path, capsys):
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "todo.txt").write_text("mine\n")
    rc = main(["site", str(keep), "--repo", str(ROOT)])
    one_line_error(rc, capsys.readouterr().err.strip(), "is not a site built by 'lthsiren site'")
    assert [p.name for p in keep.iterdir()] == ["todo.txt"]
    rc = main(["site", str(tmp_path / "out"), "--repo", str(tmp_path)])
    one_line_error(rc, capsys.readouterr().err.strip(), "no notebooks/NN_*.ipynb")


STATE = """(f) => ({
  label: f.querySelector('#label').textContent,
  psnr: f.querySelector('#psnr-winner').textContent,
  src: f.querySelector('#img-winner').getAttribute('src'),
  round: f.querySelector('#round').value,
})"""


@pytest.mark.browser
def test_a_reader_uses_the_site_in_chromium(site):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    pages = sorted(site.rglob("*.html"))
    live = [p for p in pages if "lthsiren-live-explorer" in p.read_text(encoding="utf-8")]
    assert live
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        requests, failed, errors = [], [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            for path in pages:
                page.goto(path.as_uri(), wait_until="load")
                for frame in page.frames:  # the page and its embedded explorers
                    broken = frame.evaluate(
                        "() => [...document.images].filter(i => !i.complete || !i.naturalWidth)"
                        ".map(i => i.src.slice(0, 80))"
                    )
                    assert not broken, (path.name, broken)
                if path.name == "index.html":
                    for href in page.eval_on_selector_all("a", "as => as.map(a => a.href)"):
                        if href.startswith("file:"):
                            assert Path(unquote(urlsplit(href).path)).is_file(), href
            page.goto(live[0].as_uri(), wait_until="load")
            frame = page.frame_locator("iframe").first
            k = int(
                re.search(r"#round=(\d+)", page.locator("iframe").first.get_attribute("src"))[1]
            )
            explorer = frame.locator("body")
            before = explorer.evaluate(STATE)
            assert before["round"] == str(k) and before["label"].startswith(f"round {k} of ")
            frame.locator("#round").focus()
            page.keyboard.press("ArrowLeft")
            after = explorer.evaluate(STATE)
            assert after["round"] == str(k - 1) and after["label"].startswith(f"round {k - 1} ")
            assert after["psnr"] != before["psnr"] and after["src"] != before["src"]
            frame.locator("#play").click()
            frame.locator("#round").evaluate(
                "(el, k) => new Promise(done => { const t = setInterval(() => { if (+el.value"
                " >= k) { clearInterval(t); done(); } }, 50); })",
                k,
            )
            played = explorer.evaluate(STATE)
            assert played["label"] == before["label"] and played["psnr"] == before["psnr"]
            frame.locator("#play").click()  # pause
        finally:
            browser.close()
    assert not failed and not errors, (failed, errors)
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), [
        u for u in requests if not u.startswith(("file:", "data:"))
    ]
