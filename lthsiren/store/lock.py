"""One process per run folder: an exclusive lock held for the life of a run.

Two processes writing one run folder (the same settings with another ``--rounds`` or
``--device``, or ``--force`` while a run trains) would overwrite each other's rounds. :func:`hold`
takes an exclusive ``fcntl.flock`` on ``<run folder>/.lock`` and writes the holder's pid into
it; a second process gets one line naming the folder and that pid. The kernel drops the lock
when its process ends, however it ends (SIGKILL included), so a lock is never stale: the file
may stay behind and means nothing by itself. (Without ``fcntl``, on Windows, runs are not
locked.)

:func:`guard` wraps a whole run: the lock, a Ctrl-C or SIGTERM turned into
:class:`~lthsiren.errors.Interrupted` (which says how many rounds are complete), and a folder
this run created removed again if the run fails before its first round is complete.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from ..errors import Interrupted, LthsirenError, cannot_write

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".lock"


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    return pid if pid.isdigit() else "unknown"


@contextmanager
def hold(path: str | os.PathLike):
    """Hold the exclusive lock of the run folder ``path`` (made if missing) inside the block."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise cannot_write(path, e) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LthsirenError(
                    f"{path} is in use by another lthsiren run (pid {_holder(fd)}); wait for it "
                    "to finish, or stop it (a stopped run resumes when rerun)"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _complete(run) -> int:
    try:
        return run.completed_rounds() if run.exists() else 0
    except LthsirenError:
        return 0


@contextmanager
def guard(run):
    """Run the block with ``run``'s folder locked; see the module's doc."""
    new = not run.path.exists()
    with hold(run.path):
        try:
            yield
        except KeyboardInterrupt:
            done = _complete(run)
            if new and done == 0:
                shutil.rmtree(run.path, ignore_errors=True)
            raise Interrupted(run.path, done) from None
        except BaseException:
            if new and _complete(run) == 0:
                shutil.rmtree(run.path, ignore_errors=True)
            raise
