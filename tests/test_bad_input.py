"""What a user sees when the input is wrong, end to end: the real CLI in a subprocess and the
public Python API, each bad input ending in one clear line and exit status 2, each input that is
valid after conversion succeeding with a note, and nothing half-written in the results store."""

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lthsiren as L
from lthsiren.cli import main
from lthsiren.errors import LthsirenError

QUICK = ["--preset", "tiny", "--side", "16", "--width", "8", "--steps", "5", "--rounds", "2"]


def cli(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "LTHSIREN_RUNS": str(tmp_path / "runs"),
        "LTHSIREN_CACHE": str(tmp_path / "cache"),
        "LTHSIREN_HTTP_TIMEOUT": "1",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "lthsiren.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def in_process(tmp_path, capsys, monkeypatch, *args: str) -> subprocess.CompletedProcess:
    """``lthsiren ARGS`` run by :func:`lthsiren.cli.main` in this process (the entry point itself
    runs in a real process once per class of error: tests/test_settings.py)."""
    monkeypatch.setenv("LTHSIREN_RUNS", str(tmp_path / "runs"))
    rc = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, captured.out, captured.err)


def assert_one_line_error(proc, tmp_path, *fragments):
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("lthsiren: error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir()), "a run folder was left behind"


# -- files ---------------------------------------------------------------------------------------
def _noise(shape):
    return np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)


def make_missing(p):
    return p / "missing.png"


def make_directory(p):
    (p / "a_folder").mkdir()
    return p / "a_folder"


def make_empty(p):
    (p / "empty.png").write_bytes(b"")
    return p / "empty.png"


def make_truncated(fmt):
    def make(p):
        path = p / f"cut.{fmt.lower()}"
        Image.fromarray(_noise((64, 64, 3))).save(path, format=fmt)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path

    return make


def make_text_as_png(p):
    (p / "notes.png").write_text("these are my notes, not a picture\n")
    return p / "notes.png"


def make_one_pixel(p):
    Image.new("RGB", (1, 1), (10, 20, 30)).save(p / "dot.png")
    return p / "dot.png"


BAD_FILES = [
    (make_missing, ["image not found", "check the path"]),
    (make_directory, ["is a directory", "pass an image file"]),
    (make_empty, ["not an image Pillow can read"]),
    (make_truncated("PNG"), ["truncated or damaged"]),
    (make_truncated("JPEG"), ["truncated or damaged"]),
    (make_text_as_png, ["not an image Pillow can read"]),
    (make_one_pixel, ["1x1 pixels: too small"]),
]


@pytest.mark.parametrize("make,fragments", BAD_FILES, ids=lambda x: getattr(x, "__name__", ""))
def test_bad_file_cli(tmp_path, capsys, monkeypatch, make, fragments):
    proc = in_process(tmp_path, capsys, monkeypatch, "run", *QUICK, "--image", str(make(tmp_path)))
    assert_one_line_error(proc, tmp_path, *fragments)


@pytest.mark.parametrize("make,fragments", BAD_FILES, ids=lambda x: getattr(x, "__name__", ""))
def test_bad_file_api(tmp_path, make, fragments):
    cfg = L.make_config("tiny", image=str(make(tmp_path)))
    with pytest.raises(LthsirenError) as err:
        L.run_experiment(cfg, root=tmp_path / "runs", progress=False)
    assert all(f in str(err.value) for f in fragments) and "\n" not in str(err.value)
    assert not (tmp_path / "runs").exists()


def make_16bit_grey(p):
    ramp = (np.linspace(0, 65535, 40 * 40).reshape(40, 40)).astype(np.uint16)
    Image.fromarray(ramp).save(p / "deep.png")
    return p / "deep.png"


def make_rgba(p):
    rgba = np.dstack([_noise((40, 40, 3)), np.full((40, 40), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(p / "glass.png")
    return p / "glass.png"


def make_palette_gif(p):
    Image.fromarray(_noise((40, 40, 3))).convert("P").save(p / "pal.gif")
    return p / "pal.gif"


def make_wide(p):
    Image.fromarray(_noise((40, 400, 3))).save(p / "wide.png")
    return p / "wide.png"


CONVERTED = [
    (make_16bit_grey, "high bit depth) to 8-bit"),
    (make_rgba, "composited RGBA transparency onto white"),
    (make_palette_gif, "converted mode P to RGB"),
    (make_wide, "image is 400x40: the centre square keeps only part of it"),
]


@pytest.mark.parametrize("make,note", CONVERTED, ids=lambda x: getattr(x, "__name__", ""))
def test_convertible_images_succeed_with_a_note(tmp_path, capsys, monkeypatch, make, note):
    image = str(make(tmp_path))
    proc = in_process(tmp_path, capsys, monkeypatch, "run", *QUICK, "--quiet", "--image", image)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stdout.splitlines() if line.startswith("note: ")]
    assert any(note in line for line in notes), proc.stdout
    assert "winner-loser" in proc.stdout
    target = L.load_image(make(tmp_path), 16)
    assert any(note in n for n in target.notes)


# -- URLs ----------------------------------------------------------------------------------------
@pytest.fixture
def http_404():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(404)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mona_lisa.jpg"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_silent():
    """A server that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/slow.jpg"
    stop.set()
    for conn in held:
        conn.close()
    sock.close()


def test_url_404(tmp_path, http_404):
    assert_one_line_error(
        cli(tmp_path, "run", *QUICK, "--image", http_404),
        tmp_path,
        "HTTP 404",
        "could not download",
    )
    assert not any((tmp_path / "cache").glob("*")) if (tmp_path / "cache").exists() else True


def test_url_that_never_answers(tmp_path, http_silent):
    proc = cli(tmp_path, "run", *QUICK, "--image", http_silent, timeout=60)
    assert_one_line_error(proc, tmp_path, "no answer within 1 s")


def test_url_errors_through_the_api(tmp_path, http_404, monkeypatch):
    monkeypatch.setenv("LTHSIREN_HTTP_TIMEOUT", "1")
    with pytest.raises(LthsirenError, match="HTTP 404"):
        L.load_image(http_404, 16)
