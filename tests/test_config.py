import pytest
import torch

import lthsiren as L
from lthsiren.config import default_preset
from lthsiren.errors import LthsirenError


def test_presets():
    assert L.make_config("blog").to_json() | {} == {
        **L.Config().to_json(),
        "preset": "blog",
        "side": 256,
        "width": 256,
        "steps": 1000,
        "lr": 1e-4,
    }
    tiny = L.make_config("tiny")
    assert (tiny.side, tiny.steps, tiny.rounds, tiny.prune_fraction) == (32, 150, 21, 0.2)


def test_default_preset_and_env_override(monkeypatch):
    assert default_preset() == ("blog" if torch.cuda.is_available() else "laptop")
    monkeypatch.setenv("LTHSIREN_PRESET", "tiny")
    assert L.make_config().preset == "tiny"
    assert L.make_config(steps=7).steps == 7  # overrides on top of the preset
    assert L.make_config(steps=None).steps == 150  # None means "not given"


def test_key_ignores_rounds_and_device_but_not_training_settings():
    a = L.make_config("tiny")
    assert a.key("x") == L.make_config("tiny", rounds=5, device="cpu").key("x")
    assert a.key("x") != L.make_config("tiny", steps=151).key("x")
    assert a.key("x") != a.key("y")  # another image


def test_auto_device_follows_lthsiren_device(monkeypatch):
    from lthsiren.config import resolve_device

    monkeypatch.setenv("LTHSIREN_DEVICE", "cpu")
    assert resolve_device("auto").type == "cpu"
    monkeypatch.setenv("LTHSIREN_DEVICE", "tpu")
    with pytest.raises(LthsirenError, match="unknown device 'tpu'"):
        resolve_device("auto")
    assert resolve_device("cpu").type == "cpu"  # a device named outright wins
