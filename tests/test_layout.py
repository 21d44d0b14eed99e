"""The package's layout holds: the core's floors (network, then training, then the store) only
import downwards, the core never reaches up into the chapters' helpers, the CLI starts without the
notebooks' widget library, and no module grows past what one can read."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lthsiren"
UNWANTED = ("ipywidgets", "lthsiren.chapters")  # what `lthsiren` on the command line never needs
CORE = sorted(p for p in PACKAGE.rglob("*.py") if "chapters" not in p.relative_to(PACKAGE).parts)
# what a floor never imports: the floors above it, and the run, report and command-line on top
TOP = ("lthsiren.cli", "lthsiren.cli_files", "lthsiren.experiment", "lthsiren.report")
FLOORS = {
    "network": ("lthsiren.training", "lthsiren.store", *TOP),
    "training": ("lthsiren.store", *TOP),
    "store": ("lthsiren.cli", "lthsiren.cli_files", "lthsiren.experiment"),
}


def _imports(path: Path) -> set[str]:
    """Absolute names of the lthsiren modules ``path`` imports, lazily or not."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            mod = ".".join([*base, node.module] if node.module else base)
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("lthsiren")}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_core_is_the_floors_the_codecs_and_the_top():
    folders = {str(p.relative_to(PACKAGE).parent) for p in CORE}
    assert folders == {".", "codecs", *FLOORS}  # a new folder takes its place in FLOORS


@pytest.mark.parametrize(
    "path",
    [p for floor in FLOORS for p in sorted((PACKAGE / floor).glob("*.py"))],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_each_floor_imports_only_downwards(path):
    above = FLOORS[path.parent.name]
    assert not [m for m in _imports(path) if _within(m, above)]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_never_imports_the_chapters(path):
    assert not [m for m in _imports(path) if m.startswith("lthsiren.chapters")]


@pytest.mark.parametrize("path", sorted((PACKAGE / "codecs").glob("*.py")), ids=lambda p: p.name)
def test_codecs_stay_below_the_run_loop(path):
    above = ("lthsiren.training", *TOP)
    assert not [m for m in _imports(path) if _within(m, above)]


def test_no_module_is_over_about_300_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 330
    }
    assert not long


COMMANDS = (["--help"], ["run", "--help"], ["export", "--help"], ["run", "--steps", "0"])


def test_the_cli_starts_without_ipywidgets():
    code = (
        "import sys\n"
        "from lthsiren.cli import main\n"
        f"for args in {COMMANDS!r}:\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({UNWANTED!r}))\n"
        "print('LOADED', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOADED []" in proc.stdout, proc.stdout + proc.stderr


def test_a_finished_run_command_loaded_no_chapter(tmp_path):
    code = (
        "import sys\n"
        "from lthsiren.cli import main\n"
        f"rc = main(['run', '--preset', 'tiny', '--side', '8', '--width', '4', '--steps', '2',"
        f" '--rounds', '2', '--quiet', '--out', {str(tmp_path)!r}])\n"
        f"bad = sorted(m for m in sys.modules if m.startswith({UNWANTED!r}))\n"
        "print('RC', rc, 'LOADED', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "RC 0 LOADED []" in proc.stdout, proc.stdout + proc.stderr
