"""Sources of the series' web site (:mod:`lthsiren.site`) turned into HTML, offline.

- A notebook becomes a page through nbconvert's HTML exporter and its ``lab`` template, which
  inlines its CSS; the blocks that would load require.js, MathJax, Mermaid or the widget manager
  from a CDN are emptied, so a page asks for nothing outside the site (the one formula, in the
  SIREN's introduction, shows as its TeX source). The code cells skip the template's HTML sanitizer
  (bleach), a third of the build's time: Pygments' output escapes the code it shows. A stored
  sparsity-explorer output (its still picture) becomes the live explorer page of the notebook's
  run, embedded at the round the notebook shows.
- A Markdown file (README, docs) becomes a page through mistune, with GitHub's heading anchors,
  so links such as ``reference.md#the-results`` land where they do on GitHub.
- Links between the sources are rewritten to the site's pages (:func:`rewrite_links`).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Callable

__all__ = [
    "EXPLORER_REPR",
    "explorer_outputs",
    "markdown_html",
    "notebook_html",
    "page_data_of",
    "rewrite_links",
]

EXPLORER_REPR = "SparsityExplorer: "  # how a stored explorer output's text starts
_HEADLINE = re.compile(r"round (\d+) of (\d+) \(([\d.]+)% remaining\)")
_RUN_FOLDER = re.compile(r"runs/([A-Za-z0-9_.]+-[0-9a-f]{8})\b")
_PAGE_DATA = re.compile(r'<script type="application/json" id="lthsiren-data">(.*?)</script>', re.S)
_ANCHOR = re.compile(r'<a\s([^>]*?)href="([^"]*)"([^>]*)>(.*?)</a>', re.S)
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_EXPORTER: list = []
_NO_CDN = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
<div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
</div></div>
{%- endblock input %}
"""


def page_data_of(page_text: str) -> dict:
    """The data an explorer page (:mod:`lthsiren.webpage`) carries, read back from its HTML."""
    found = _PAGE_DATA.search(page_text)
    if found is None:
        raise ValueError("not an explorer page made by 'lthsiren show --html'")
    return json.loads(found.group(1).replace("<\\/", "</"))


def explorer_outputs(nb) -> list[tuple[dict, str, int, int, str]]:
    """Each stored explorer output of notebook ``nb``: (output, run key, round, last round,
    remaining % as printed). The run is the last run folder the notebook printed up to that
    cell (``results in ../runs/laptop-bb114b5d``): the notebooks print where their runs are."""
    found, run = [], None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if text.startswith(EXPLORER_REPR):
                headline = _HEADLINE.search(text)
                if run is None or headline is None:
                    raise ValueError(f"cannot tell which run and round it shows: {text!r}")
                k, last, pct = headline.groups()
                found.append((out, run, int(k), int(last), pct))
            else:
                run = ([run] + _RUN_FOLDER.findall(text))[-1]
    return found


def live_explorer(src: str, k: int) -> str:
    """The HTML that stands in for an explorer's still picture: its live page at round ``k``."""
    at = html.escape(f"{src}#round={k}", quote=True)
    return (
        '<div class="lthsiren-live-explorer"><p><b>The sparsity explorer, live:</b> move the '
        f'slider or press Play. <a href="{at}">Open it on its own page</a>.</p>'
        f'<iframe src="{at}" title="sparsity explorer" style="width:100%;height:1100px;'
        'border:1px solid #ccc"></iframe></div>'
    )


def notebook_html(nb, explorer_src: Callable[[str, int, int, str], str]) -> str:
    """Notebook ``nb`` (an nbformat node, changed in place) as one HTML page whose explorer
    outputs are live pages: ``explorer_src(run key, round, last round, remaining %)`` gives the
    site path of the run's page (and raises when it has none that matches)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    for out, run, k, last, pct in explorer_outputs(nb):
        out["data"] = {"text/html": live_explorer(explorer_src(run, k, last, pct), k)}
        out.setdefault("metadata", {}).clear()
    if not _EXPORTER:  # one exporter for every notebook: loading its templates takes a while
        _EXPORTER.append(
            HTMLExporter(
                template_name="lab",
                extra_loaders=[DictLoader({"lthsiren_site.html.j2": _NO_CDN})],
                template_file="lthsiren_site.html.j2",
            )
        )
    body, _ = _EXPORTER[0].from_notebook_node(nb)
    return body


def _slug(text: str, seen: dict[str, int]) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens, -1, -2
    ... on repeats."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text)).strip().lower()
    slug = re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def markdown_html(text: str) -> str:
    """Markdown (GitHub's flavour as far as these files use it) as an HTML fragment."""
    import mistune

    seen: dict[str, int] = {}

    class Renderer(mistune.HTMLRenderer):
        def heading(self, text, level, **attrs):
            return f'<h{level} id="{_slug(text, seen)}">{text}</h{level}>\n'

    render = mistune.create_markdown(
        renderer=Renderer(escape=False), plugins=["table", "strikethrough", "url"]
    )
    return render(text)


def rewrite_links(page: str, source: str, site_path: dict[str, str], elsewhere) -> str:
    """``page``'s links, written for the repository file ``source`` (a path from the root), made
    to point at the site: a file the site holds at its page (``site_path``: repository path ->
    site path), any other repository file through ``elsewhere(path)`` (None: the link becomes
    plain text). Addresses with a scheme and links within the page are kept."""

    def one(m: re.Match) -> str:
        before, href, after, inner = m.groups()
        if not href or href.startswith("#") or _EXTERNAL.match(href):
            return m.group(0)
        path, _, anchor = href.partition("#")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        target = site_path.get(path) or elsewhere(path)
        if target is None:
            return inner
        if anchor:
            target += "#" + anchor
        return f'<a {before}href="{html.escape(target, quote=True)}"{after}>{inner}</a>'

    return _ANCHOR.sub(one, page)
