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


@pytest.mark.parametrize(
    "kw,message",
    [
        (dict(preset="huge"), "unknown preset 'huge'"),
        (dict(steps=0), "--steps must be at least 1"),
        (dict(rounds=-1), "--rounds must be at least 1"),
        (dict(side=0), "--side must be at least 8"),
        (dict(width=0), "--width must be a positive"),
        (dict(prune_fraction=1.5), r"--fraction must be in \(0, 1\)"),
        (dict(prune_fraction=0.0), r"--fraction must be in \(0, 1\)"),
        (dict(lr=-1.0), r"--lr must be in \(0, 1\)"),
        (dict(strategies=("smallest", "biggest")), "unknown strategy 'biggest'"),
        (dict(strategies=()), "at least one strategy"),
        (dict(seeds=(0, 0)), "seed twice"),
        (dict(device="tpu"), "unknown device"),
    ],
)
def test_absurd_settings_are_rejected(kw, message):
    kw = {"preset": "tiny", **kw}
    with pytest.raises(LthsirenError, match=message):
        L.make_config(**kw)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda():
    with pytest.raises(LthsirenError, match="no CUDA GPU; use --device cpu"):
        L.make_config("tiny", device="cuda")


def test_key_ignores_rounds_and_device_but_not_training_settings():
    a = L.make_config("tiny")
    assert a.key("x") == L.make_config("tiny", rounds=5, device="cpu").key("x")
    assert a.key("x") != L.make_config("tiny", steps=151).key("x")
    assert a.key("x") != a.key("y")  # another image
