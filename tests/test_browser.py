"""The sparsity explorer as a user sees it: JupyterLab in a real (headless) Chromium.

Starts ``jupyter lab`` on 127.0.0.1 with a token, a free port, throw-away settings/runtime
folders and the project's own kernel, and drives the explorer in two notebooks:

- a copy of notebook 03 (a copy, so JupyterLab's autosave never touches the stored notebook),
  run at the ``tiny`` preset: the widget renders (no "Error displaying widget", no raw widget
  repr), its slider moves to another round and the PSNR text and the pictures follow, Play
  advances the round by itself, and the PSNR/HFE toggle redraws the curve;
- a scratch notebook that shows a two-seed tiny run this test makes: the seed selector shows
  the other seed's tickets, and the error-map box swaps the pictures.

A screenshot is saved when a test fails; the server is always shut down.

Browser: Debian's ``chromium`` package, driven by Playwright (``playwright install`` cannot
download here). Run with ``pytest -m browser tests/test_browser.py``. To watch it:
``LTHSIREN_HEADED=1`` (needs a display, e.g. ``xvfb-run``); ``LTHSIREN_BROWSER_SHOTS=DIR``
keeps screenshots of the explorers.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

import lthsiren as L

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_imp_and_rewinding.ipynb"
CHROMIUM = os.environ.get("LTHSIREN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SRC_CHANGED = "([el, old]) => el.getAttribute('src') !== old"
TEXT_CHANGED = "([el, old]) => el.innerText !== old"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over an empty folder; yields (base_url, token, tmp_path, folder):
    the test puts its notebooks in the folder."""
    work = tmp_path / "work"
    work.mkdir()
    # Start the notebook's own kernel without asking: JupyterLab (4.6 at least) otherwise may
    # stop at a "Select Kernel" dialog that no one in a headless browser will answer.
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"autoStartDefaultKernel": true}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "LTHSIREN_PRESET": "tiny",
        "LTHSIREN_RUNS": str(tmp_path / "runs"),
    }
    log = open(tmp_path / "jupyter.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.allow_root=True",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "jupyter.log").read_text()
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "jupyter lab did not start in 90 s"
                time.sleep(0.5)
        yield base, token, tmp_path, work
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
        log.close()


def _accept_dialog(page, wait_ms: int) -> None:
    """Accept a JupyterLab dialog (e.g. "Select Kernel", whose default is the notebook's own
    kernel) if one shows up within ``wait_ms``."""
    page.wait_for_timeout(wait_ms)
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    if accept.count():
        accept.first.click()


@contextmanager
def _browser_page(tmp: Path):
    """A Chromium page; a failure inside leaves a full-page screenshot in ``tmp``."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) to run the browser test"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    headed = os.environ.get("LTHSIREN_HEADED") == "1"
    shot = tmp / "explorer-failure.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=not headed,
            args=CHROMIUM_ARGS,
            slow_mo=200 if headed else 0,
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        except Exception as e:
            page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"{e}\nscreenshot of the failure: {shot}") from e
        finally:
            browser.close()


def _run_notebook(page, base: str, token: str, name: str):
    """Open notebook ``name``, run all its cells, and return its first explorer once its
    PSNR table is shown."""
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    page.wait_for_function("window.jupyterapp !== undefined", timeout=30_000)
    # the kernel must be up before "run all"
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    _accept_dialog(page, 3_000)
    # Fire "run all" without awaiting its promise: if JupyterLab stops at a dialog the promise
    # never settles, and page.evaluate has no timeout of its own.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    _accept_dialog(page, 3_000)
    page.locator(".lthsiren-psnr").first.wait_for(timeout=300_000)
    # Let "run all" finish: while later cells still train, the kernel answers the widget's
    # events only between them, and a slider would seem dead. A cell that is queued or running
    # shows "[*]" as its prompt.
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-InputArea-prompt')]"
        ".some(e => e.textContent.includes('*'))",
        timeout=600_000,
    )
    explorer = page.locator(".lthsiren-explorer").first
    explorer.scroll_into_view_if_needed()
    assert page.locator("text=Error displaying widget").count() == 0
    for raw in ("IntSlider(", "SelectionSlider(", "Play(", "Dropdown("):
        assert raw not in explorer.inner_text()
    return explorer


def _wait_changed(page, locator, old: str, what: str = TEXT_CHANGED) -> None:
    page.wait_for_function(what, arg=[locator.element_handle(), old], timeout=30_000)


def _round_shown(title) -> int:
    return int(re.search(r"Round (\d+) of", title.inner_text()).group(1))


def _keep_shot(explorer, name: str) -> None:
    shots = os.environ.get("LTHSIREN_BROWSER_SHOTS")  # to look at what the test saw
    if shots:
        explorer.screenshot(path=str(Path(shots) / name))


def test_explorer_renders_and_responds_in_jupyterlab(lab):
    base, token, tmp, work = lab
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    with _browser_page(tmp) as page:
        explorer = _run_notebook(page, base, token, NOTEBOOK.name)
        psnr = explorer.locator(".lthsiren-psnr")
        title = explorer.locator(".lthsiren-title")
        curve = explorer.locator("img.lthsiren-curve")
        assert explorer.locator(".lthsiren-layers td[data-layer='1']").count() >= 3

        # the slider, from the keyboard
        before_text = psnr.inner_text()
        images = explorer.locator("img")
        assert images.count() >= 4  # the target and three tickets
        before_src = images.nth(1).get_attribute("src")
        handle = explorer.locator(".noUi-handle, .slider-container input, [role=slider]").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        _wait_changed(page, psnr, before_text)
        _wait_changed(page, images.nth(1), before_src, SRC_CHANGED)
        assert psnr.inner_text() != before_text and "dB" in psnr.inner_text()

        # Play: the round advances by itself (the browser moves the slider, the kernel
        # redraws), then the same button pauses it
        start = _round_shown(title)
        play = explorer.locator(".lthsiren-play button").first
        play.click()
        page.wait_for_function(
            "([el, k]) => { const m = /Round (\\d+) of/.exec(el.innerText);"
            " return m && Number(m[1]) >= k + 2; }",
            arg=[title.element_handle(), start],
            timeout=30_000,
        )
        play.click()
        page.wait_for_timeout(2_000)  # let the last round's pictures arrive
        assert _round_shown(title) > start

        # PSNR/HFE: the curve is redrawn, the other button is the active one
        old_curve = curve.get_attribute("src")
        explorer.locator(".lthsiren-metric button", has_text="HFE").click()
        _wait_changed(page, curve, old_curve, SRC_CHANGED)
        hfe = explorer.locator(".lthsiren-metric button.mod-active")
        assert hfe.inner_text().strip() == "HFE"
        _keep_shot(explorer, "explorer-after-play-hfe.png")


def _scratch_notebook(path: Path, run_path: Path) -> None:
    """A one-cell notebook that shows the explorer over ``run_path``."""
    cell = (
        "from lthsiren.chapters.explorer import SparsityExplorer\n"
        f"SparsityExplorer({str(run_path)!r}, round=1)"
    )
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "explorer",
                "metadata": {},
                "outputs": [],
                "source": cell,
            }
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


def test_seed_selector_and_error_map_in_jupyterlab(lab):
    base, token, tmp, work = lab
    cfg = L.make_config("tiny", seeds=(0, 1), side=16, width=16, steps=10, rounds=4)
    run = L.run_experiment(cfg, root=tmp / "two-seeds", progress=False)
    _scratch_notebook(work / "two_seeds.ipynb", run.path)
    with _browser_page(tmp) as page:
        explorer = _run_notebook(page, base, token, "two_seeds.ipynb")
        title = explorer.locator(".lthsiren-title")
        winner = explorer.locator("img.lthsiren-image-winner")
        layers = explorer.locator(".lthsiren-layers")
        assert "seed 0" in title.inner_text()

        # another seed: its pictures, numbers and masks
        select = explorer.locator(".lthsiren-seed select")
        assert select.is_visible()
        old_src, old_layers = winner.get_attribute("src"), layers.inner_text()
        select.select_option(label="seed 1")
        page.wait_for_function(
            "el => el.innerText.includes('seed 1')", arg=title.element_handle(), timeout=30_000
        )
        _wait_changed(page, winner, old_src, SRC_CHANGED)
        assert "(seed 1)" in layers.inner_text() and layers.inner_text() != old_layers

        # the error maps replace the pictures, with their scale under the target
        old_src = winner.get_attribute("src")
        explorer.locator(".lthsiren-error-map input[type=checkbox]").check()
        _wait_changed(page, winner, old_src, SRC_CHANGED)
        assert "error map" in explorer.inner_text()
        _keep_shot(explorer, "explorer-seed1-error-map.png")
