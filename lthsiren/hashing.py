"""Short names derived from settings: the 8 hex digits that name a stored run, a thread-spread
record or a transfer table.

Standard library only, so that any module can name what it stores without importing the rest of
the package. A name must never change for the same settings: stored results are found by it
(tests/test_rewind_modes.py holds old run keys).
"""

from __future__ import annotations

import hashlib
import json


def short_hash(what) -> str:
    """The first 8 hex digits of the SHA-256 of ``what`` as JSON with sorted keys."""
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:8]
