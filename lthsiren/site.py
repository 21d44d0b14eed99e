"""The notebook series as a static web site: ``lthsiren site OUT`` (run from the repository).

What the site holds and where, all in one folder that any static host (GitHub Pages) or a
browser opening ``OUT/index.html`` from disk shows:

- ``index.html``: one line per notebook, in the course's order (the sorted ``notebooks/NN_*``
  names; each titled by its first Markdown heading), then the glossary, the reference and the
  README, and the live explorer pages;
- one page per notebook with its stored outputs (nothing is run or trained), where a notebook
  shows the sparsity explorer, the live explorer page of its run in its place;
- ``glossary.html``, ``reference.html``, ``readme.html`` from docs/glossary.md, docs/reference.md
  and README.md;
- ``explorers/KEY.html``: the explorer pages committed in ``docs/explorers/`` (made from the
  stored runs by ``lthsiren show runs/KEY --html docs/explorers/KEY.html --series
  ../index.html``), copied as they are. A notebook whose explorer has no committed page, or
  one that shows other numbers than the notebook's stored explorer, stops the build.

Links between these files are rewritten to the site's pages; links to other repository files go
to ``source`` (e.g. the repository's address on GitHub) or become plain text. The site is
written beside ``out`` and then moved into place, so a failed build leaves no half site; ``out``
must be missing, empty, or a site built before.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from .errors import LthsirenError
from .site_html import markdown_html, notebook_html, page_data_of, rewrite_links

__all__ = ["build_site", "notebook_title", "series_notebooks"]

MARKER = ".lthsiren-site"  # marks a folder this module wrote, so a rebuild may replace it
DOCS = {"docs/glossary.md": "glossary.html", "docs/reference.md": "reference.html"}
README = {"README.md": "readme.html"}
_CSS = """body{font:15px/1.5 sans-serif;margin:0 auto;max-width:980px;padding:0 16px;color:#222}
nav.lthsiren-nav{font:14px sans-serif;padding:8px 12px;border-bottom:1px solid #ddd;
background:#f7f7f7;display:flex;gap:18px;flex-wrap:wrap}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:3px 8px}
pre{background:#f5f5f5;padding:8px;overflow-x:auto} code{background:#f5f5f5}"""


def series_notebooks(repo: Path) -> list[Path]:
    """The notebooks in the course's order: ``notebooks/NN_*.ipynb`` sorted by name."""
    return sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def notebook_title(nb, fallback: str) -> str:
    """The first Markdown heading of notebook ``nb``, without its ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _nav(links: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<a href="{html.escape(h, quote=True)}">{html.escape(t)}</a>' for h, t in links
    )
    return f'<nav class="lthsiren-nav">{items}</nav>'


def _page(title: str, nav: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n<meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>\n'
        f"<style>{_CSS}</style></head><body>{nav}<main>{body}</main></body></html>\n"
    )


def _first_heading(markdown: str, fallback: str) -> str:
    heading = next((ln for ln in markdown.splitlines() if ln.startswith("#")), "")
    return heading.lstrip("#").strip() or fallback


def _explorer_pages(repo: Path, site: Path) -> dict[str, dict]:
    """Copy the committed explorer pages into the site; their data by run key."""
    pages = {}
    for page in sorted((repo / "docs" / "explorers").glob("*.html")):
        (site / "explorers").mkdir(exist_ok=True)
        shutil.copyfile(page, site / "explorers" / page.name)
        pages[page.stem] = page_data_of(page.read_text(encoding="utf-8"))
    return pages


def _explorer_finder(pages: dict[str, dict], notebook: str):
    def find(run: str, k: int, last: int, pct: str) -> str:
        remake = (
            f"make it with 'lthsiren show runs/{run} --html docs/explorers/{run}.html --series "
            "../index.html' from the run the notebook stored its outputs from"
        )
        if run not in pages:
            raise LthsirenError(
                f"{notebook} shows the sparsity explorer of run {run}, but "
                f"docs/explorers/{run}.html is missing: {remake}"
            )
        rounds = pages[run]["rounds"]
        shown = rounds[k] if k < len(rounds) else None
        if shown is None or not shown["label"].startswith(f"round {k} of {last}: {pct}%"):
            raise LthsirenError(
                f"docs/explorers/{run}.html does not show what {notebook}'s stored explorer "
                f"shows (round {k} of {last}, {pct}% remaining): {remake}"
            )
        return f"explorers/{run}.html"

    return find


def _build(repo: Path, site: Path, source: str | None) -> int:
    try:
        import mistune  # noqa: F401
        import nbconvert  # noqa: F401
        import nbformat
    except ImportError as e:
        raise LthsirenError(
            f"'lthsiren site' needs nbconvert and mistune ({e}): pip install -e '.[site]'"
        ) from None

    notebooks = series_notebooks(repo)
    if not notebooks:
        raise LthsirenError(f"no notebooks/NN_*.ipynb in {repo}: run from the repository's root")
    site_path = {f"notebooks/{p.name}": p.stem + ".html" for p in notebooks}
    site_path.update(DOCS, **README)
    pages = _explorer_pages(repo, site)
    site_path.update({f"docs/explorers/{key}.html": f"explorers/{key}.html" for key in pages})

    def elsewhere(path: str) -> str | None:
        if source is None or path.startswith("..") or not (repo / path).exists():
            return None
        return f"{source.rstrip('/')}/{path}"

    titles = []
    for i, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        titles.append(notebook_title(nb, path.stem))
        body = notebook_html(nb, _explorer_finder(pages, path.name))
        links = [("index.html", "Index")]
        if i > 0:
            links.append((notebooks[i - 1].stem + ".html", f"Previous: {titles[i - 1]}"))
        if i + 1 < len(notebooks):
            links.append((notebooks[i + 1].stem + ".html", f"Next: {notebooks[i + 1].stem}"))
        body = body.replace("<main>", _nav(links) + "<main>", 1)
        body = rewrite_links(body, f"notebooks/{path.name}", site_path, elsewhere)
        (site / site_path[f"notebooks/{path.name}"]).write_text(body, encoding="utf-8")
    doc_titles = {}
    for name, out in {**DOCS, **README}.items():
        text = (repo / name).read_text(encoding="utf-8")
        doc_titles[out] = _first_heading(text, name)
        body = rewrite_links(markdown_html(text), name, site_path, elsewhere)
        (site / out).write_text(
            _page(doc_titles[out], _nav([("index.html", "Index")]), body), encoding="utf-8"
        )
    _write_index(site, notebooks, titles, doc_titles, pages)
    (site / MARKER).write_text(json.dumps({"notebooks": [p.name for p in notebooks]}) + "\n")
    return len(notebooks)


def _write_index(site: Path, notebooks, titles, doc_titles, pages) -> None:
    def line(href: str, text: str) -> str:
        return f'<li><a href="{html.escape(href, quote=True)}">{html.escape(text)}</a></li>'

    items = "".join(line(p.stem + ".html", t) for p, t in zip(notebooks, titles))
    kinds = {"glossary.html": "Glossary", "reference.html": "Reference", "readme.html": "README"}
    docs = "".join(line(out, f"{kinds[out]}: {title}") for out, title in doc_titles.items())
    live = "".join(
        line(f"explorers/{key}.html", f"{data['title']} (run {key})") for key, data in pages.items()
    )
    body = (
        "<h1>Lottery tickets in a SIREN: the notebook series</h1><p>The Lottery Ticket "
        "Hypothesis in a SIREN fitted to one image, as notebooks to read in order. These pages "
        "show each notebook with the outputs stored in the repository; the sparsity explorer "
        "is live: move its slider without Jupyter.</p>"
        f'<h2>The notebooks</h2><ol id="notebooks">{items}</ol>'
        f'<h2>Notation and background</h2><ul id="docs">{docs}</ul>'
        + (f'<h2>Sparsity explorer</h2><ul id="explorers">{live}</ul>' if live else "")
    )
    (site / "index.html").write_text(_page("lthsiren: the notebook series", "", body), "utf-8")


def build_site(out: str | os.PathLike, repo: str | os.PathLike = ".", source=None) -> str:
    """Build the site of the repository at ``repo`` into ``out``; one line saying what it wrote."""
    start, out, repo = time.perf_counter(), Path(out), Path(repo)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise LthsirenError(
            f"{out} exists and is not a site built by 'lthsiren site': choose a new or empty folder"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix=".site-", dir=out.parent))
    try:
        count = _build(repo, site, source)
        os.chmod(site, 0o755)  # mkdtemp's 0700 would hide the site from a web server
        if out.exists():
            shutil.rmtree(out)
        site.rename(out)
    except BaseException:
        shutil.rmtree(site, ignore_errors=True)
        raise
    return (
        f"wrote {out}: {count} notebooks, the glossary, the reference and the README as pages, "
        f"in {time.perf_counter() - start:.1f} s; open {out / 'index.html'} in a browser"
    )
