"""The target: one image as a function from pixel coordinates to colours.

``load_image`` turns a path or an http(s) URL into a square RGB tensor in [-1, 1]: convert to RGB,
centre-crop to a square, resize with Lanczos to the preset's side, scale as ``x / 127.5 - 1``.
``coordinate_grid`` gives the matching inputs: each axis ``linspace(-1, 1, side)``, an 'ij'
meshgrid, flattened to ``[side * side, 2]``. The default target is matplotlib's sample portrait
``grace_hopper.jpg``, which ships with matplotlib, so nothing is downloaded; matplotlib's other
sample picture, a gift box in clip-art style (``present``, 128x128 RGBA), is the second image
of the ReLU-and-transfer chapter. The SIREN chapter uses both functions.
"""

from __future__ import annotations

import numbers
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .download import cache_dir, fetch  # noqa: F401  (the URL half of load_image)
from .download import sha256_of as _sha256
from .errors import LthsirenError
from .settings import DEFAULT_IMAGE, MAX_SIDE, MIN_SIDE  # noqa: F401  (set with the settings)

# Names accepted in place of a path: images that ship with matplotlib's sample data.
SAMPLE_IMAGES = {"grace_hopper": "grace_hopper.jpg", "present": "Minduka_Present_Blue_Pack.png"}


@dataclass
class Target:
    """An image ready to fit: ``pixels`` is ``[side, side, 3]`` in [-1, 1]."""

    pixels: torch.Tensor
    source: str
    sha256: str
    notes: list[str] = field(default_factory=list)

    @property
    def side(self) -> int:
        return self.pixels.shape[0]

    def flat(self) -> torch.Tensor:
        """``[side * side, 3]``, rows in the order of :func:`coordinate_grid`."""
        return self.pixels.reshape(-1, 3)


def coordinate_grid(side: int) -> torch.Tensor:
    """Pixel coordinates ``[side * side, 2]`` in [-1, 1], 'ij' order (row, then column)."""
    axis = torch.linspace(-1.0, 1.0, side)
    return torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1).reshape(-1, 2)


def sample_image_path(name: str = DEFAULT_IMAGE) -> Path:
    """Where matplotlib keeps the sample image ``name`` (a key of ``SAMPLE_IMAGES``)."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data(SAMPLE_IMAGES[name], asfileobj=False))


def default_image_path() -> Path:
    return sample_image_path(DEFAULT_IMAGE)


def _open(path: Path) -> Image.Image:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise LthsirenError(f"image not found: {path}; check the path passed to --image") from None
    except OSError as e:
        raise LthsirenError(f"could not read the image {path} ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        raise LthsirenError(f"{path} is a directory, not an image; pass an image file to --image")
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
        raise LthsirenError(
            f"{path} is not a regular file (a FIFO, device or socket); --image reads regular "
            "files only: save the image to a file first"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
            img.load()  # decode now, so a truncated file fails here and not later
    except Image.DecompressionBombError as e:
        raise LthsirenError(
            f"{path} has too many pixels to decode safely ({str(e).rstrip('.')}); "
            "use a smaller image"
        ) from None
    except UnidentifiedImageError:
        raise LthsirenError(
            f"{path} is not an image Pillow can read; pass a PNG, JPEG, GIF, WebP or TIFF file"
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise LthsirenError(
            f"could not read the image {path} ({e}); the file may be truncated or damaged"
        ) from None
    return img


def to_rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """Convert any Pillow mode to 8-bit RGB, saying what was done."""
    notes = []
    mode = img.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
        img = Image.fromarray(a.round().astype(np.uint8), mode="L")
        notes.append(
            f"converted {mode} (high bit depth) to 8-bit by scaling its range [{lo:g}, {hi:g}]"
        )
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
        notes.append(f"composited {mode} transparency onto white")
    if img.mode != "RGB":
        if mode not in ("RGB", "RGBA"):
            notes.append(f"converted mode {mode} to RGB")
        img = img.convert("RGB")
    return img, notes


def load_image(
    source: str | os.PathLike | None = None, side: int = 256, sha256: str | None = None
) -> Target:
    """Load ``source`` (a path, an http(s) URL, or None for the default) as a :class:`Target`."""
    if not isinstance(side, numbers.Integral) or isinstance(side, bool):
        raise LthsirenError(f"image side must be a whole number of pixels, got {side!r}")
    side = int(side)
    if side < MIN_SIDE:
        raise LthsirenError(f"image side must be at least {MIN_SIDE} pixels, got {side}")
    if side > MAX_SIDE:
        raise LthsirenError(f"image side {side} is too large; use at most {MAX_SIDE} pixels")
    if source is None:
        source = DEFAULT_IMAGE
    if str(source) in SAMPLE_IMAGES:
        path, label = sample_image_path(str(source)), str(source)
    elif str(source).startswith(("http://", "https://")):
        path, label = fetch(str(source), sha256), str(source)
    else:
        path, label = Path(source).expanduser(), str(source)
    img = _open(path)
    notes = []
    orientation = img.getexif().get(0x0112, 1)  # EXIF Orientation: how a camera was held
    if orientation in range(2, 9):
        img = ImageOps.exif_transpose(img)
        notes.append(f"turned upright by its EXIF orientation ({orientation})")
    if img.mode == "F" and not np.all(np.isfinite(np.asarray(img))):
        raise LthsirenError(
            f"{path} has NaN or infinite pixel values; replace them (or export the image as "
            "8-bit) and pass it again"
        )
    w, h = img.size
    if min(w, h) < 2:
        raise LthsirenError(
            f"{path} is {w}x{h} pixels: too small to fit; use an image at least {MIN_SIDE} pixels "
            "on its short side"
        )
    img, converted = to_rgb(img)
    notes += converted
    if max(w, h) > 4 * min(w, h):
        notes.append(f"image is {w}x{h}: the centre square keeps only part of it")
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    img = img.crop((left, top, left + s, top + s))
    if s < side:
        notes.append(f"image is {s} pixels square after cropping: upsampled to {side}")
    img = img.resize((side, side), Image.LANCZOS)
    pixels = torch.from_numpy(np.asarray(img, dtype=np.float32).copy()) / 127.5 - 1.0
    return Target(pixels=pixels, source=label, sha256=_sha256(path), notes=notes)
