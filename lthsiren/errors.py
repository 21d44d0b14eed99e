"""User-facing errors.

Anything a user can get wrong (a missing image, an absurd setting, a damaged results dir) raises
:class:`LthsirenError` with one sentence that names the problem and the fix. The CLI prints that
sentence on one line and exits with status 2; it never shows a traceback for these.
:func:`cannot_write` says the same for a file that could not be written (a full disk, a
read-only folder, a file where a folder should be).
"""

import errno
import os

_WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EEXIST: "part of the path is a file, not a folder",
    errno.EFBIG: "the file is too large for this file system",
}


class LthsirenError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM: a ``KeyboardInterrupt`` that knows how far it got.

    ``completed`` is the number of complete rounds in ``path``; rerunning the same settings
    resumes after them.
    """

    def __init__(self, path, completed: int):
        self.path, self.completed = path, completed
        done = (
            f"after round {completed - 1} ({completed} complete in {path})"
            if completed
            else f"before round 0 was complete ({path})"
        )
        super().__init__(f"interrupted {done}; rerun the same command to resume")


def cannot_write(path: os.PathLike | str, err: OSError) -> LthsirenError:
    """The one-line error for an ``OSError`` raised while writing ``path``."""
    why = _WHY.get(err.errno) or err.strerror or type(err).__name__
    return LthsirenError(
        f"could not write {path}: {why}; free some space or pick a writable place "
        "(--out for runs, -o for files)"
    )
