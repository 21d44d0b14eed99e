"""The series as a reader meets it: names, links, stored outputs and size (issue: clean stored
outputs). These read the committed notebooks; nbval executes them."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
MAX_SERIES_BYTES = 2_500_000


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_the_series_is_numbered_01_to_n():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(1, len(NOTEBOOKS) + 1)]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


def test_the_course_order_core_lessons_then_open_questions_then_the_appendix():
    stems = [p.stem[3:] for p in NOTEBOOKS]
    core = ["siren_and_init", "spectral_bias", "imp_and_rewinding", "anti_imp_collapse"]
    assert stems[:4] == core and stems[4] == "coo_compression"
    assert "Appendix" in "".join(_cells(NOTEBOOKS[-1])[0]["source"]).splitlines()[0]


def test_the_package_names_chapters_by_title_not_by_number():
    # a renumbering of the series then touches only the notebooks and the README
    package = Path(__file__).resolve().parent.parent / "lthsiren"
    for path in package.rglob("*.py"):
        found = re.findall(r"[Nn]otebooks? \d\d|\b0\d_[a-z_]+\.ipynb", path.read_text())
        assert not found, (path.name, found)


def test_the_whole_series_is_small_enough_for_a_repository_page():
    assert sum(p.stat().st_size for p in NOTEBOOKS) < MAX_SERIES_BYTES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_between_notebooks_point_at_files_that_exist(path):
    text = "".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")
    for target in re.findall(r"\]\(([0-9]{2}_[a-z0-9_]+\.ipynb)\)", text):
        assert (path.parent / target).exists(), target
    first = "".join(_cells(path)[0]["source"])
    assert first.startswith(f"# {path.name[:2]} ·")
    n = int(path.name[:2])
    if n > 1:
        assert re.search(rf"Previous: \[{n - 1:02d} ·", first), "no link to the previous notebook"
    if n < len(NOTEBOOKS):
        assert f"({n + 1:02d}_" in first, "no link to the next notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_clean_code_references_and_exercises(path):
    cells = _cells(path)
    for c in cells:
        if c["cell_type"] == "code":
            # nbval markers live in the cell tags, not in the code readers see
            assert not "".join(c["source"]).lstrip().startswith("# NBVAL"), c["source"][:1]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "## References" in markdown and "## Exercises" in markdown
    assert "arxiv.org" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_progress_bar_is_stored(path):
    for c in _cells(path):
        for out in c.get("outputs", []):
            data = out.get("data", {})
            text = "".join(out.get("text", "")) + "".join(data.get("text/plain", ""))
            assert not re.search(r"\d+/\d+ \[|it/s\]|s/it\]|\d+%\|", text), text[:200]
            if "application/vnd.jupyter.widget-view+json" in data:
                # the only widget stored is the sparsity explorer, never a tqdm bar
                assert "SparsityExplorer" in "".join(data.get("text/plain", ""))
