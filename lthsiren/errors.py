"""User-facing errors.

Anything a user can get wrong (a missing image, an absurd setting, a damaged results dir) raises
:class:`LthsirenError` with one sentence that names the problem and the fix. The CLI prints that
sentence on one line and exits with status 2; it never shows a traceback for these.
"""


class LthsirenError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2
