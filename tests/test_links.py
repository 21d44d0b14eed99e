"""Prose cites nothing that is missing: every relative link, every repository file named in
backticks and every dotted ``lthsiren.`` module named in the README, docs/*.md and the notebooks'
markdown cells must exist in the repository, as a reader following them would need."""

import json
import re
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Backticked names with these endings are taken as repository files; others (a run's
# `config.json`, matplotlib's `grace_hopper.jpg`) name files outside the repository.
REPOSITORY_SUFFIXES = (".md", ".py", ".ipynb", ".yml", ".yaml", ".toml", ".html")

FENCED_BLOCK = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
PATH_LIKE = re.compile(r"(?:\.{1,2}/)*[\w.-]+(?:/[\w.-]+)*/?")
DOTTED_MODULE = re.compile(r"lthsiren(?:\.[A-Za-z_]\w*)+")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def _ignored_top_level_names():
    """Git-ignored folders (a local `runs/`) may or may not exist, so paths in them are not
    checked."""
    names = {".git"}
    for line in (ROOT / ".gitignore").read_text().splitlines():
        line = line.strip().strip("/")
        if line and not line.startswith("#") and not any(ch in line for ch in "*?["):
            names.add(line)
    return names


def _repository_folders():
    ignored = _ignored_top_level_names()
    return {p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in ignored}


def heading_anchors(markdown):
    """The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped,
    spaces to hyphens, -1, -2 ... on repeats)."""
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", FENCED_BLOCK.sub("", markdown), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _link_problems(target, folder, own_text):
    path_part, _, anchor = target.partition("#")
    if not path_part:
        if anchor and anchor not in heading_anchors(own_text):
            return [f"link to #{anchor}: no such heading in this file"]
        return []
    resolved = (folder / path_part).resolve()
    if not resolved.exists():
        return [f"link to {target}: {path_part} does not exist"]
    if anchor and resolved.suffix == ".md" and anchor not in heading_anchors(resolved.read_text()):
        return [f"link to {target}: {path_part} has no heading with anchor #{anchor}"]
    return []


def _names_a_repository_file(token, folders):
    if token.endswith(REPOSITORY_SUFFIXES):
        return True
    first = re.sub(r"^(?:\.{1,2}/)+", "", token).split("/", 1)[0]
    return "/" in token and first in folders


def _inside_repository(module):
    origin = getattr(module, "__file__", None) or getattr(module, "origin", None)
    return origin is not None and Path(origin).resolve().is_relative_to(ROOT)


def _module_exists(dotted):
    """lthsiren.a.b as a reader would use it: a module of this checkout (not of another one on
    the path), or a name reached by attribute access, the package's lazy names included."""
    parts = dotted.split(".")
    found = import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        if hasattr(found, part):
            found = getattr(found, part)
        else:
            try:
                spec = find_spec(".".join(parts[:i]))
            except ModuleNotFoundError:  # the part before is a module, not a package
                spec = None
            if spec is None or not _inside_repository(spec):
                return False
            found = import_module(".".join(parts[:i]))
        if isinstance(found, ModuleType) and not _inside_repository(found):
            return False
    return True


def missing_citations(markdown, folder):
    """What `markdown` (prose living in `folder`) cites that the repository lacks, one line each."""
    folders = _repository_folders()
    without_blocks = FENCED_BLOCK.sub("", markdown)
    problems = []
    spans = [m.group(2).strip() for m in CODE_SPAN.finditer(without_blocks)]
    for target in LINK.findall(CODE_SPAN.sub("", without_blocks)):
        if not EXTERNAL.match(target):
            problems += _link_problems(target, folder, markdown)
    for token in spans:
        if DOTTED_MODULE.fullmatch(token):
            if not _module_exists(token):
                problems.append(f"`{token}`: no such module (or name in it) under lthsiren/")
        elif PATH_LIKE.fullmatch(token) and _names_a_repository_file(token, folders):
            if not ((folder / token).exists() or (ROOT / token).exists()):
                problems.append(f"`{token}`: no such file here or at the repository root")
    return problems


def _prose_files():
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return files + sorted((ROOT / "notebooks").glob("*.ipynb"))


def _prose(path):
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", _prose_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_cites_only_what_exists(path):
    problems = missing_citations(_prose(path), path.parent)
    assert not problems, f"{path.relative_to(ROOT)} cites what is missing:\n  " + "\n  ".join(
        problems
    )


def test_the_checker_finds_what_is_missing_and_passes_what_exists():
    notebooks = ROOT / "notebooks"
    good = (
        "See [03](03_imp_and_rewinding.ipynb), [the page](../docs/reference.md#the-results) and "
        "[the post](https://example.org/x). `lthsiren/metrics.py`, `README.md`, "
        "`lthsiren.chapters.figures`, `lthsiren.pruning.budget_mask`, `config.json`, "
        "`rounds/round_KK.pt`, `.ci/run`.\n"
        "```\nnot prose: `nowhere/else.py` [x](nowhere.md)\n```\n"
    )
    assert missing_citations(good, notebooks) == []
    bad = (
        "As [the spec](../SPEC.md) says, and [a heading](../README.md#no-such-heading); "
        "`SPEC.md`, `lthsiren/nowhere.py`, `notebooks/09_missing.ipynb`, `lthsiren.minibatch`."
    )
    problems = missing_citations(bad, notebooks)
    for cited in ("../SPEC.md", "#no-such-heading", "`SPEC.md`", "`lthsiren/nowhere.py`"):
        assert any(cited in p for p in problems), (cited, problems)
    assert any("09_missing" in p for p in problems) and any("minibatch" in p for p in problems)
    assert len(problems) == 6


def test_heading_anchors_follow_github():
    text = "# The results: 1,000 steps\n## Claims (four)\n## Claims (four)\n"
    text += "```\n# not a heading\n```\n"
    assert heading_anchors(text) == {"the-results-1000-steps", "claims-four", "claims-four-1"}
