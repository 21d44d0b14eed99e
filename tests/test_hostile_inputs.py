"""A hostile user against the inputs (issue 14): images that are not regular files, that rotate,
hold NaN or are flat, decompression bombs, servers that trickle, never stop, stop short, loop or
send error pages, network files that declare absurd shapes, and Python values of the wrong type.
Each ends in one line (or a note) without hanging, allocating gigabytes or leaving files
behind."""

import dataclasses
import http.server
import io
import math
import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_checks import one_line_error
from PIL import Image

import lthsiren as L
from lthsiren import codecs as C
from lthsiren.cli import main
from lthsiren.codecs import fileformat as F
from lthsiren.errors import LthsirenError
from lthsiren.training.budget import prune_notes

ARGS = ["--preset", "tiny", "--side", "16", "--width", "8", "--steps", "5", "--quiet"]


def _cli(tmp_path, capsys, *args):
    rc = main([*args, "--out", str(tmp_path / "runs")] if args[0] == "run" else list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err.strip()


def _noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def _png_bytes(arr) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


# -- image files -------------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_image_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path, capsys, kind):
    if kind == "fifo":
        path = tmp_path / "photo.png"
        os.mkfifo(path)  # opening it to read would wait for a writer forever
    else:
        path = Path("/dev/zero")  # reading it would never end
    rc, _, err = _cli(tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--image", str(path))
    one_line_error(rc, err, "not a regular file", "--image")
    assert not (tmp_path / "runs").exists()


def test_exif_orientation_is_applied(tmp_path):
    upright = _noise(40, 20)  # a portrait photo...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...stored sideways by a phone held upright, with "rotate 90 CW" in EXIF
    Image.fromarray(np.rot90(upright, 1).copy()).save(tmp_path / "phone.png", exif=exif)
    Image.fromarray(upright).save(tmp_path / "upright.png")
    phone, plain = (
        L.load_image(tmp_path / "phone.png", 16),
        L.load_image(tmp_path / "upright.png", 16),
    )
    assert torch.equal(phone.pixels, plain.pixels)
    assert any("EXIF orientation (6)" in n for n in phone.notes)


def test_a_flat_image_trains_and_scores_hfe(tmp_path, capsys):
    Image.new("RGB", (24, 24), (40, 120, 200)).save(tmp_path / "flat.png")
    rc, out, err = _cli(
        tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--image", str(tmp_path / "flat.png")
    )
    assert rc == 0, err
    run = L.RunDir(next((tmp_path / "runs").iterdir()))
    assert [r["hfe"] for r in run.records()] == [100.0] * 6  # no detail to keep: defined as 100%
    flat = torch.full((8, 8, 3), 0.25)
    assert L.hfe(flat + 0.1 * torch.randn(8, 8, 3), flat) == 100.0


def test_nan_pixels_are_refused_up_front(tmp_path, capsys):
    a = np.linspace(0, 1, 16 * 16, dtype=np.float32).reshape(16, 16)
    a[3, 4] = np.nan
    Image.fromarray(a).save(tmp_path / "float.tif")  # mode F, a float TIFF
    rc, _, err = _cli(
        tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--image", str(tmp_path / "float.tif")
    )
    one_line_error(rc, err, "NaN or infinite pixel values")
    assert not (tmp_path / "runs").exists()


def test_decompression_bomb_is_one_line(tmp_path, capsys, monkeypatch):
    Image.fromarray(_noise(64, 64)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64x64 is then "over twice the limit"
    rc, _, err = _cli(
        tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--image", str(tmp_path / "bomb.png")
    )
    one_line_error(rc, err, "too many pixels to decode safely")


def test_load_image_checks_its_side_and_takes_a_path(tmp_path):
    Image.fromarray(_noise(20, 20)).save(tmp_path / "a.png")
    assert L.load_image(tmp_path / "a.png", np.int64(16)).side == 16
    with pytest.raises(LthsirenError, match="too large; use at most 4096"):
        L.load_image(tmp_path / "a.png", 100_000)
    with pytest.raises(LthsirenError, match="whole number of pixels, got 16.5"):
        L.load_image(tmp_path / "a.png", 16.5)


# -- downloads ---------------------------------------------------------------------------------
@pytest.fixture
def server():
    """A local HTTP server: ``routes[path] = handler(request, stop)``; yields (routes, base)."""
    routes, stop = {}, threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            routes[self.path](self, stop)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield routes, f"http://127.0.0.1:{srv.server_address[1]}"
    stop.set()
    srv.shutdown()
    srv.server_close()


def _headers(req, length=None, status=200, kind="image/png"):
    req.send_response(status)
    req.send_header("Content-Type", kind)
    if length is not None:
        req.send_header("Content-Length", str(length))
    req.end_headers()


def trickle(req, stop):  # a byte every 20 ms: each read is quick, the whole never ends
    _headers(req, 10**6)
    while not stop.wait(0.02):
        try:
            req.wfile.write(b"x")
            req.wfile.flush()
        except OSError:
            return


def endless(req, stop):  # no Content-Length, and no end
    _headers(req)
    while not stop.is_set():
        try:
            req.wfile.write(bytes(65536))
        except OSError:
            return


def huge(req, stop):
    _headers(req, 10**12)


def short(req, stop):  # announces 1,000 bytes, sends 10, closes
    _headers(req, 1000)
    req.wfile.write(b"\x89PNG\r\n\x1a\n\0\0")


def loop(req, stop):
    req.send_response(302)
    req.send_header("Location", req.path)
    req.end_headers()


DOWNLOADS = [
    (trickle, {"LTHSIREN_HTTP_DEADLINE": "0.3"}, ["0.3 s deadline", "LTHSIREN_HTTP_DEADLINE"]),
    (endless, {"LTHSIREN_HTTP_MAX_MB": "0.2"}, ["0.2 MB cap", "LTHSIREN_HTTP_MAX_MB"]),
    (huge, {}, ["100 MB cap", "LTHSIREN_HTTP_MAX_MB"]),
    (short, {}, ["stopped after 10 of its 1,000 bytes"]),
    (loop, {}, ["too many redirects"]),
]


@pytest.mark.parametrize("route,env,fragments", DOWNLOADS, ids=[d[0].__name__ for d in DOWNLOADS])
def test_bad_downloads_end_in_one_line_and_cache_nothing(
    tmp_path, capsys, monkeypatch, server, route, env, fragments
):
    routes, base = server
    routes["/img.png"] = route
    monkeypatch.setenv("LTHSIREN_HTTP_TIMEOUT", "5")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    rc, _, err = _cli(tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--image", f"{base}/img.png")
    one_line_error(rc, err, f"could not download {base}/img.png", *fragments)
    cache = tmp_path / "cache"
    assert not cache.exists() or not any(cache.iterdir())  # no entry, no partial file
    assert not (tmp_path / "runs").exists()


def test_an_error_page_is_not_cached_and_a_later_run_succeeds(tmp_path, server):
    routes, base = server
    png = _png_bytes(_noise(20, 20))
    served = []

    def flaky(req, stop):  # first an error page with status 200, then the image
        body = b"<html>try again later</html>" if not served else png
        served.append(len(body))
        _headers(req, len(body), kind="text/html" if len(served) == 1 else "image/png")
        req.wfile.write(body)

    routes["/photo.png"] = flaky
    with pytest.raises(LthsirenError, match="28 bytes that are not an image Pillow can read"):
        L.load_image(f"{base}/photo.png", 16)
    assert not any((tmp_path / "cache").iterdir())
    target = L.load_image(f"{base}/photo.png", 16)  # the server recovered
    assert target.pixels.shape == (16, 16, 3)
    assert [p.read_bytes() for p in (tmp_path / "cache").iterdir()] == [png]


def test_download_limits_must_be_positive_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("LTHSIREN_HTTP_MAX_MB", "lots")
    with pytest.raises(LthsirenError, match=r"\$LTHSIREN_HTTP_MAX_MB must be a positive number"):
        L.load_image("http://127.0.0.1:9/x.png", 16)


# -- network files that declare what they cannot hold ---------------------------------------------
def _file(shapes, payload=b"", omega=30.0, codec=b"coo") -> bytes:
    """A network file with a valid checksum around whatever header and payload we choose."""
    head = F._HEAD.pack(F.MAGIC, F.FORMAT_VERSION, codec.ljust(16, b"\0"), omega, len(shapes))
    head += b"".join(F._SHAPE.pack(*s) for s in shapes) + struct.pack("<Q", len(payload))
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


BIASES = bytes(4 * (16 + 3))  # a coo payload of layers (16, 2), (3, 16) with no survivor

CRAFTED = [
    (_file([(2**16, 2**15)]), "declares 2,147,483,648 weights"),  # 2^31 weights in 44 bytes
    (_file([(4_000_000, 2), (3, 4_000_000)]), "declares 20,000,000 weights"),  # 4 million wide
    (_file([(1, 1)] * 65_000), "declares 65000 layers"),
    (_file([(16, 2), (3, 16)], bytes(10_000)), "10,000 payload bytes for layers"),
    (_file([(16, 2), (3, 16)], BIASES, omega=math.nan), "omega_0 (nan) is not a positive"),
    (_file([(16, 2), (3, 16)], BIASES, omega=math.inf), "omega_0 (inf) is not a positive"),
    (_file([(16, 2), (3, 16)], BIASES, omega=-30.0), "omega_0 (-30.0) is not a positive"),
]


@pytest.mark.parametrize("data,message", CRAFTED, ids=[m for _, m in CRAFTED])
def test_crafted_network_files_are_bounded_before_anything_is_allocated(
    tmp_path, capsys, data, message
):
    path = tmp_path / "evil.lths"
    path.write_bytes(data)
    rc, _, err = _cli(tmp_path, capsys, "render", str(path), "-o", str(tmp_path / "x.png"))
    one_line_error(rc, err, message)
    assert not (tmp_path / "x.png").exists()


def test_render_reads_only_a_siren_it_can_draw(tmp_path, capsys):
    wide = tmp_path / "wide.lths"  # 25,000 weights (a fine file) through 5,000 hidden neurons
    wide.write_bytes(_file([(5000, 2), (3, 5000)], bytes(4 * 5003)))
    assert C.load(wide).shapes == [(5000, 2), (3, 5000)]
    rc, _, err = _cli(tmp_path, capsys, "render", str(wide), "-o", str(tmp_path / "x.png"))
    one_line_error(rc, err, "wider than 4096 neurons")
    four = tmp_path / "four.lths"
    four.write_bytes(_file([(16, 2), (4, 16)], bytes(4 * 20)))
    rc, _, err = _cli(tmp_path, capsys, "render", str(four), "-o", str(tmp_path / "x.png"))
    one_line_error(rc, err, "outputs 4 channels")


def test_encode_and_load_refuse_what_no_file_may_hold(tmp_path):
    params = L.init_params(8, 3, 30.0, 0)
    for omega in (math.nan, math.inf, 0.0):
        with pytest.raises(LthsirenError, match="omega_0 must be a finite positive number"):
            C.encode(params, None, omega)
    long = tmp_path / "long.lths"
    with open(long, "wb") as f:  # sparse: no disk space used, and never read
        f.truncate(F.max_file_bytes() + 1)
    with pytest.raises(LthsirenError, match="longer than any network file"):
        C.load(long)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.lths")
        with pytest.raises(LthsirenError, match="not a regular file"):
            C.load(tmp_path / "pipe.lths")


# -- settings from Python, and schedules that stop pruning ----------------------------------------
def test_a_config_cannot_be_changed_after_validation_only_rebuilt_and_checked(tmp_path):
    cfg = L.make_config("tiny", side=16, width=8, steps=5, rounds=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rounds = 2.5
    with pytest.raises(LthsirenError, match="--rounds must be a whole number"):
        dataclasses.replace(cfg, rounds=2.5)
    assert not (tmp_path / "runs").exists()


def test_a_pathlib_image_works(tmp_path):
    Image.fromarray(_noise(20, 20)).save(tmp_path / "a.png")
    cfg = L.make_config("tiny", image=tmp_path / "a.png", side=16, width=8, steps=5, rounds=2)
    assert cfg.image == str(tmp_path / "a.png")
    cfg = dataclasses.replace(cfg, image=tmp_path / "a.png")  # a Path again: still fine
    assert cfg.image == str(tmp_path / "a.png")
    run = L.run_experiment(cfg, root=tmp_path / "runs", progress=False)
    assert run.info()["config"]["image"] == str(tmp_path / "a.png")
    assert run.completed_rounds() == 2


def test_a_fraction_that_prunes_nothing_gets_a_note(tmp_path, capsys):
    rc, out, err = _cli(tmp_path, capsys, "run", *ARGS, "--rounds", "2", "--fraction", "0.001")
    assert rc == 0, err
    assert "note: --fraction 0.001 removes no weight of the 232 alive after round 0" in out
    many = L.make_config("tiny", width=8, prune_fraction=0.9, rounds=6)
    assert prune_notes(many) == [  # 232 -> 23 -> 2 -> 0 weights
        "no weight is left from round 3 on: rounds 3 to 5 have nothing to prune and train biases "
        "alone (use fewer --rounds)"
    ]
    assert prune_notes(L.make_config("tiny")) == []
