"""User-facing errors.

Anything a user can get wrong (a missing image, an absurd setting, a damaged results dir) raises
:class:`LthsirenError` with one sentence that names the problem and the fix. The CLI prints that
sentence on one line and exits with status 2; it never shows a traceback for these.
:func:`cannot_write` says the same for a file that could not be written (a full disk, a
read-only folder, a file where a folder should be). A results file that is missing or damaged
raises :class:`DamagedFile`, which carries the file and the reason, so that
:mod:`lthsiren.store.repair` can report them without reading the sentence back.
"""

import errno
import os
from pathlib import Path

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


class DamagedFile(LthsirenError):
    """A results file of a run folder that is missing or does not hold what it should.

    ``name`` is the file's path inside the run folder (``"rounds/round_03.pt"``), ``path`` the
    whole path, ``reason`` a few words (:data:`MISSING`, ``"line 4 is not a record"``, the type
    of the exception that loading it raised).
    """

    MISSING = "missing"

    def __init__(self, folder: os.PathLike | str, name: str, reason: str):
        self.folder, self.name, self.reason = Path(folder), name, reason
        self.path = self.folder / name
        if reason == self.MISSING:
            text = f"{self.path} is missing; rerun 'lthsiren run' with the same settings to repair "
            text += "the run"
        else:
            text = (
                f"results file {self.path} is damaged ({reason}); rerun 'lthsiren run' with the "
                "same settings to repair it (intact rounds are kept), or --force to start over"
            )
        super().__init__(text)

    def __reduce__(self):  # the constructor takes the parts, not the sentence
        return type(self), (self.folder, self.name, self.reason)


def no_complete_round(path: os.PathLike | str) -> LthsirenError:
    """The error for a run folder asked for results before its round 0 is complete."""
    return LthsirenError(f"{path} has no complete round yet; run 'lthsiren run' to train it")


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM: a ``KeyboardInterrupt`` that knows how far it got.

    ``completed`` is the number of complete rounds in ``path``; rerunning the same settings
    resumes after them.
    """

    def __init__(self, path, completed: int):
        self.path, self.completed = path, completed
        super().__init__(self.sentence())

    def sentence(self, how: str = "interrupted") -> str:
        """What happened, with ``how`` it stopped (``"interrupted"``, ``"terminated"``)."""
        done = (
            f"after round {self.completed - 1} ({self.completed} complete in {self.path})"
            if self.completed
            else f"before round 0 was complete ({self.path})"
        )
        return f"{how} {done}; rerun the same command to resume"


def stopped(err: KeyboardInterrupt, how: str = "interrupted") -> str:
    """The one line a stopped command prints: how far it got when ``err`` says so."""
    if isinstance(err, Interrupted):
        return err.sentence(how)
    return f"{how}; rerun the same command to resume from the last complete round"


def cannot_write(path: os.PathLike | str, err: OSError) -> LthsirenError:
    """The one-line error for an ``OSError`` raised while writing ``path``."""
    why = _WHY.get(err.errno) or err.strerror or type(err).__name__
    return LthsirenError(
        f"could not write {path}: {why}; free some space or pick a writable place "
        "(--out for runs, -o for files)"
    )
