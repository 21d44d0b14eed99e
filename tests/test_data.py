import http.server
import threading

import numpy as np
import pytest
import torch
from PIL import Image

import lthsiren as L
from lthsiren.errors import LthsirenError


def test_default_image_is_square_rgb_in_range():
    t = L.load_image(None, 32)
    assert t.pixels.shape == (32, 32, 3) and t.pixels.dtype == torch.float32
    assert -1.0 <= float(t.pixels.min()) < -0.5 and 0.5 < float(t.pixels.max()) <= 1.0
    assert t.source == "grace_hopper" and len(t.sha256) == 64


def test_coordinate_grid_is_ij_ordered():
    g = L.coordinate_grid(4)
    assert g.shape == (16, 2)
    assert torch.equal(g[0], torch.tensor([-1.0, -1.0]))
    torch.testing.assert_close(
        g[1], torch.tensor([-1.0, -1.0 / 3])
    )  # second column of the first row
    torch.testing.assert_close(
        g[4], torch.tensor([-1.0 / 3, -1.0])
    )  # first column of the second row
    assert torch.equal(g[-1], torch.tensor([1.0, 1.0]))


def test_scaling_and_centre_crop(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, 10:30] = 255  # the centre square is white, the sides black
    Image.fromarray(arr).save(tmp_path / "wide.png")
    t = L.load_image(tmp_path / "wide.png", 20)
    assert torch.allclose(t.pixels, torch.ones(20, 20, 3))


def test_conversions_are_noted(tmp_path):
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")  # fully transparent red
    t = L.load_image(tmp_path / "clear.png", 16)
    assert torch.allclose(t.pixels, torch.ones(16, 16, 3))  # composited onto white
    assert any("transparency" in n for n in t.notes)

    deep = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 256).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")  # 16-bit greyscale
    t = L.load_image(tmp_path / "deep.png", 16)
    assert float(t.pixels.min()) == -1.0 and float(t.pixels.max()) == 1.0
    assert any("8-bit" in n for n in t.notes)

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).convert("P").save(tmp_path / "pal.gif")
    assert L.load_image(tmp_path / "pal.gif", 16).pixels.shape == (16, 16, 3)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p / "nope.png", "image not found"),
        (lambda p: p, "is a directory"),
        (lambda p: _write(p / "notes.png", b"hello, not a picture"), "not an image"),
        (lambda p: _write(p / "empty.jpg", b""), "not an image"),
        (lambda p: _truncated(p, "PNG"), "truncated or damaged"),
        (lambda p: _truncated(p, "JPEG"), "truncated or damaged"),
        (lambda p: _tiny(p), "too small"),
    ],
)
def test_bad_images_give_one_clear_line(tmp_path, make, message):
    with pytest.raises(LthsirenError, match=message) as err:
        L.load_image(make(tmp_path), 16)
    assert "\n" not in str(err.value)


def test_bad_side():
    for side in (0, -3, 4):
        with pytest.raises(LthsirenError, match="side must be at least 8"):
            L.load_image(None, side)


def _write(path, data):
    path.write_bytes(data)
    return path


def _truncated(tmp_path, fmt):
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    path = tmp_path / f"cut.{fmt.lower()}"
    img.save(path, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _tiny(tmp_path):
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    return tmp_path / "dot.png"


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    Image.new("RGB", (24, 24), (255, 0, 0)).save(root / "red.png")
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            hits.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def test_url_is_downloaded_once_and_cached(server):
    base, hits = server
    a = L.load_image(f"{base}/red.png", 16)
    b = L.load_image(f"{base}/red.png", 16)
    assert torch.equal(a.pixels, b.pixels)
    assert float(a.pixels[..., 0].min()) == 1.0
    assert len([h for h in hits if "red.png" in h]) == 1


def test_url_errors(server):
    base, _ = server
    with pytest.raises(LthsirenError, match="HTTP 404"):
        L.load_image(f"{base}/missing.png", 16)
    with pytest.raises(LthsirenError, match="does not match the expected sha256"):
        L.load_image(f"{base}/red.png", 16, sha256="0" * 64)
