"""Progress bars: on for people, off when LTHSIREN_PROGRESS says so (lthsiren.progress)."""

import pytest

from lthsiren.progress import bar, wanted


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_progress_off(monkeypatch, value):
    monkeypatch.setenv("LTHSIREN_PROGRESS", value)
    assert not wanted()
    assert bar(total=3).disable


@pytest.mark.parametrize("value", [None, "1", "yes"])
def test_progress_on_unless_the_caller_disables_it(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("LTHSIREN_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("LTHSIREN_PROGRESS", value)
    assert wanted()
    b = bar(total=3)
    assert not b.disable
    b.close()
    assert bar(total=3, disable=True).disable
