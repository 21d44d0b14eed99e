"""The run store: one folder per run, written so that nothing computed is ever lost.

The floor above training. :mod:`~lthsiren.store.rundir` lays out a run folder (its settings,
``theta0``, one file per round, the records and the pictures) and reads it back
(:class:`RunDir`); every file goes through :mod:`~lthsiren.store.atomic`, which never leaves one
half-written; :mod:`~lthsiren.store.lock` keeps a second process out of a folder while a run
writes it; :mod:`~lthsiren.store.repair` keeps the intact rounds of a damaged folder, so a rerun
resumes instead of starting over; and :mod:`~lthsiren.store.runview` is a finished folder as the
web page and the notebooks' explorer show it. The run keys (the hash in a folder's name) come
from the settings (:mod:`lthsiren.settings`), so moving code never moves a run.

``from lthsiren.store import RunDir`` and the few helpers callers write through are re-exported
here.
"""

from .atomic import atomic_write, write_png, write_tensors, write_text
from .rundir import RunDir, complete_round_records, default_root

__all__ = [
    "RunDir",
    "atomic_write",
    "complete_round_records",
    "default_root",
    "write_png",
    "write_tensors",
    "write_text",
]
