"""The sparsity explorer as a user sees it: JupyterLab in a real (headless) Chromium.

Starts ``jupyter lab`` on 127.0.0.1 with a token, a free port, throw-away settings/runtime
folders and the project's own kernel, opens a copy of notebook 03 (a copy, so JupyterLab's
autosave never touches the stored notebook), runs it at the ``tiny`` preset, and checks that
the explorer widget renders (no "Error displaying widget", no raw widget repr), that its slider
moves to another round, and that the PSNR text and the pictures follow. A screenshot is saved
when it fails; the server is always shut down.

Browser: Debian's ``chromium`` package, driven by Playwright (``playwright install`` cannot
download here). To watch it: ``LTHSIREN_HEADED=1 pytest -m browser`` (needs a display, e.g.
``xvfb-run``); ``LTHSIREN_BROWSER_SHOTS=DIR`` keeps a screenshot of the explorer after the
slider moved.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server serving a copy of notebook 03; yields (base_url, token, workdir)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
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
        yield base, token, tmp_path
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


def test_explorer_renders_and_responds_in_jupyterlab(lab):
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) to run the browser test"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    base, token, tmp = lab
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
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
            page.wait_for_function("window.jupyterapp !== undefined", timeout=30_000)
            # the kernel must be up before "run all"
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
            )
            _accept_dialog(page, 3_000)
            # Fire "run all" without awaiting its promise: if JupyterLab stops at a dialog the
            # promise never settles, and page.evaluate has no timeout of its own.
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            _accept_dialog(page, 3_000)
            psnr = page.locator(".lthsiren-psnr").first
            psnr.wait_for(timeout=300_000)
            explorer = page.locator(".lthsiren-explorer").first
            explorer.scroll_into_view_if_needed()
            assert page.locator("text=Error displaying widget").count() == 0
            assert "IntSlider(" not in explorer.inner_text()
            assert "SelectionSlider(" not in explorer.inner_text()

            before_text = psnr.inner_text()
            images = explorer.locator("img")
            assert images.count() >= 4  # the target and three tickets
            before_src = images.nth(1).get_attribute("src")
            handle = explorer.locator(".noUi-handle, .slider-container input, [role=slider]").first
            handle.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([el, old]) => el.innerText !== old",
                arg=[psnr.element_handle(), before_text],
                timeout=30_000,
            )
            after_text = psnr.inner_text()
            page.wait_for_function(
                "([el, old]) => el.getAttribute('src') !== old",
                arg=[images.nth(1).element_handle(), before_src],
                timeout=30_000,
            )
            assert after_text != before_text
            assert "dB" in after_text
            shots = os.environ.get("LTHSIREN_BROWSER_SHOTS")  # to look at what the test saw
            if shots:
                explorer.screenshot(path=str(Path(shots) / "explorer-after-slider.png"))
        except Exception as e:
            page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"{e}\nscreenshot of the failure: {shot}") from e
        finally:
            browser.close()
