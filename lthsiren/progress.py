"""Progress bars for people at a keyboard, and none in stored notebook outputs.

Every bar in the package comes from :func:`bar` (tqdm's ``auto`` flavour: a widget in Jupyter,
text in a terminal). Setting the environment variable ``LTHSIREN_PROGRESS=0`` turns them all off;
the tests and ``pytest --nbval`` set it, and so does the README's command that re-executes the
notebooks for storage, so a repository page never shows a bar frozen at ``0/21`` that reads as an
interrupted run.
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm

OFF_VALUES = ("0", "false", "no", "off")


def wanted() -> bool:
    """False when ``LTHSIREN_PROGRESS`` says no bars."""
    return os.environ.get("LTHSIREN_PROGRESS", "1").strip().lower() not in OFF_VALUES


def bar(disable: bool = False, **kwargs) -> tqdm:
    """A tqdm bar, disabled when the caller or ``LTHSIREN_PROGRESS`` says so."""
    return tqdm(disable=disable or not wanted(), **kwargs)
