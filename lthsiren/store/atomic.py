"""Writing files so that nothing is ever half-written, and nothing but a file is replaced.

:func:`atomic_write` writes to a temporary name beside the destination and renames it into place
(atomic on POSIX). It writes through a symlink to its target and refuses anything that exists and
is not a regular file (a device, a FIFO, a socket, a folder), so ``-o /dev/null`` never replaces
a device. A full disk or a read-only folder is one :class:`~lthsiren.errors.LthsirenError`, and
no temporary file is left behind. The results store (:mod:`lthsiren.store`) and the network
files (:mod:`lthsiren.codecs`) write through it.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import LthsirenError, cannot_write
from ..metrics import to_unit

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def writable_target(path: str | os.PathLike) -> Path:
    """Where writing ``path`` should go: the path itself, or a symlink's final target. Anything
    that exists and is not a regular file is refused."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as e:
        raise cannot_write(path, e) from None
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise LthsirenError(f"{path} is {kind}; write to a regular file or a new path instead")
    return path


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place (or
    into the place a symlink ``path`` points to). A full disk or a read-only folder is one
    :class:`LthsirenError`, and no temporary file is left behind."""
    path = writable_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise cannot_write(path, e) from None
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.errno is None:
            raise
        raise cannot_write(path, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    # serialised in memory and written by Python, so that a full disk is an OSError with errno
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in tensors.items()}, buf)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))


def write_png(path: Path, img) -> None:
    """Save an image ``[side, side, 3]`` on the [-1, 1] scale (clamped) as an 8-bit PNG."""
    arr = (to_unit(img).numpy() * 255.0).round().astype(np.uint8)
    atomic_write(path, lambda tmp: Image.fromarray(arr).save(tmp, format="PNG"))
