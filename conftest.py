"""Test-session settings shared by the unit tests and the notebooks run under nbval.

The notebooks read their preset from LTHSIREN_PRESET, so the test run picks `tiny` here (the
stored outputs come from a `laptop` run) without editing any notebook. Set the variable yourself
to run them at another preset.
"""

import os

os.environ.setdefault("LTHSIREN_PRESET", "tiny")
# no progress bars in test output or in the outputs nbval compares (lthsiren.progress)
os.environ.setdefault("LTHSIREN_PROGRESS", "0")
