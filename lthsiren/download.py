"""Fetching ``--image https://...``: bounded in time and in size, and cached only when it worked.

:func:`fetch` downloads a URL once into :func:`cache_dir`. Three limits keep a bad server from
hanging a run or filling its memory, each set by an environment variable:

- ``LTHSIREN_HTTP_TIMEOUT`` (default 30 s): the longest wait for the server to answer or to send
  the next bytes;
- ``LTHSIREN_HTTP_DEADLINE`` (default 300 s): the whole download, so that a server trickling a
  byte at a time still ends;
- ``LTHSIREN_HTTP_MAX_MB`` (default 100 MB): the largest body accepted, so that an endless body
  ends too.

The body goes to a temporary file beside the cache entry; only a complete body (as long as its
``Content-Length``) that Pillow can open is moved into the cache, so a failed download or an
error page is never cached and a later run tries again.
"""

from __future__ import annotations

import hashlib
import http.client
import math
import os
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from PIL import Image

from .errors import LthsirenError, cannot_write

CHUNK = 65_536


def cache_dir() -> Path:
    """Where downloaded images are kept: ``$LTHSIREN_CACHE`` or ``~/.cache/lthsiren``."""
    return Path(os.environ.get("LTHSIREN_CACHE", Path.home() / ".cache" / "lthsiren"))


def _setting(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise LthsirenError(f"${name} must be a positive number, got {raw!r}; fix or unset it")
    return value


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(url: str, sha256: str | None = None, timeout: float | None = None) -> Path:
    """Download ``url`` once into :func:`cache_dir` and return the local file (see the module's
    doc for the limits; ``timeout`` overrides ``$LTHSIREN_HTTP_TIMEOUT``)."""
    if timeout is None:
        timeout = _setting("LTHSIREN_HTTP_TIMEOUT", 30.0)
    deadline = _setting("LTHSIREN_HTTP_DEADLINE", 300.0)
    cap_mb = _setting("LTHSIREN_HTTP_MAX_MB", 100.0)
    name = hashlib.sha256(url.encode()).hexdigest()[:16] + "-" + Path(url.split("?")[0]).name
    path = cache_dir() / name
    if path.is_file():
        if sha256 is not None and sha256_of(path) != sha256.lower():
            path.unlink()
            raise _mismatch(url, sha256)
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as e:
        raise cannot_write(path, e) from None
    try:
        with os.fdopen(fd, "wb") as out:
            _download(url, out, timeout, deadline, int(cap_mb * 1e6))
        _check_image(url, Path(tmp))
        if sha256 is not None and sha256_of(Path(tmp)) != sha256.lower():
            raise _mismatch(url, sha256)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _mismatch(url: str, sha256: str) -> LthsirenError:
    return LthsirenError(
        f"the file downloaded from {url} does not match the expected sha256 {sha256}; "
        "check the URL and the checksum"
    )


def _fail(url: str, reason: str) -> LthsirenError:
    return LthsirenError(
        f"could not download {url}: {reason}; check the URL and your network, or download the "
        "image yourself and pass its path to --image"
    )


def _download(url: str, out, timeout: float, deadline: float, cap: int) -> None:
    """Copy the body of ``url`` into the open file ``out`` within the limits."""
    start = time.monotonic()
    late = f"it took longer than the {deadline:g} s deadline (raise $LTHSIREN_HTTP_DEADLINE)"
    big = f"it is larger than the {cap / 1e6:g} MB cap (raise $LTHSIREN_HTTP_MAX_MB)"
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "lthsiren"})
        with urllib.request.urlopen(req, timeout=min(timeout, deadline)) as resp:
            length = resp.headers.get("Content-Length", "").strip()
            length = int(length) if length.isdigit() else None
            if length is not None and length > cap:
                raise _fail(url, big)
            got = 0
            while True:
                if time.monotonic() - start > deadline:
                    raise _fail(url, late)
                chunk = resp.read1(CHUNK)  # whatever has arrived: one wait of at most timeout
                if not chunk:
                    break
                got += len(chunk)
                if got > cap:
                    raise _fail(url, big)
                out.write(chunk)
            if length is not None and got < length:
                raise _fail(url, f"the body stopped after {got:,} of its {length:,} bytes")
    except LthsirenError:
        raise
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            raise _fail(url, f"too many redirects (HTTP {e.code}; a redirect loop?)") from None
        raise LthsirenError(
            f"could not download {url}: HTTP {e.code} {str(e.reason).splitlines()[0]}; check the "
            "URL, or download the image yourself and pass its path to --image"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout:g} s"
        elif isinstance(e, http.client.HTTPException):
            reason = f"the connection broke off ({type(e).__name__})"
        raise _fail(url, str(reason).splitlines()[0] if str(reason) else type(e).__name__) from None


def _check_image(url: str, path: Path) -> None:
    """Refuse a body Pillow cannot open (an error page, a truncated file)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
    except Image.DecompressionBombError as e:
        raise _fail(url, f"the image is too large to decode safely ({e})") from None
    except Exception:  # Pillow raises many types for what is not an image
        size = path.stat().st_size
        problem = f"the server sent {size:,} bytes that are not an image Pillow can read"
        raise _fail(url, problem) from None
