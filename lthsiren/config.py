"""The experiment's settings, made and checked: :func:`make_config` builds a
:class:`~lthsiren.settings.Config` (the dataclass lives in :mod:`lthsiren.settings`, at the bottom
of the package) from a preset and overrides, and runs, once, the checks that need more than the
settings themselves: the architecture, the device, the memory and the time the run will take.

- ``tiny``: 32x32, width 48, 150 steps/round, lr 1e-3: seconds on a CPU; CI and nbval. Width 48
  rather than 64: at 64 the net has four times as many weights as the image has values, random
  pruning to 64% costs it nothing, and the random ticket ties the winner there (seed 0 measured
  38.4 dB winner vs 39.4 dB random); at 48 the winner leads at 64% for seeds 0, 1 and 2.
- ``laptop``: 64x64, width 128, 300 steps/round, lr 1e-3: a few minutes on 2 cores.
- ``blog``: exactly the write-up's setting (256x256, width 256, 1,000 steps/round, lr 1e-4): the GPU
run.

All run 21 rounds (k = 0..20) pruning 20% of the alive weights per round. The default preset is
``blog`` when CUDA is available, else ``laptop``; the environment variable ``LTHSIREN_PRESET``
overrides that, and every field can be overridden on top.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping

import torch

from ._version import __version__
from .errors import LthsirenError
from .network.architectures import architecture
from .settings import MAX_SEED, PRESETS, Config, summary  # noqa: F401  (their old home)
from .training.rewinding import ALIAS_NOTES


def default_preset() -> str:
    env = os.environ.get("LTHSIREN_PRESET")
    if env:
        return env
    return "blog" if torch.cuda.is_available() else "laptop"


def make_config(preset: str | None = None, **overrides) -> Config:
    """A :class:`Config` checked for this machine: a preset (default: see module doc) plus
    overrides. Overrides that are ``None`` are ignored, so CLI arguments can be passed straight
    in. :func:`config_notes` says what the overrides' old names now mean."""
    preset = preset or default_preset()
    fields = {"preset": preset, **PRESETS.get(preset, {})}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(fields) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise TypeError(f"unknown Config fields: {sorted(unknown)}")
    cfg = Config(**fields)  # refuses an unknown preset first
    validate(cfg)
    return cfg


def config_notes(given: Mapping) -> list[str]:
    """Notes on settings ``given`` under an old name (``rewind="finetune"``), one line each; the
    CLI prints them on stderr."""
    rewind = given.get("rewind")
    return [ALIAS_NOTES[rewind]] if isinstance(rewind, str) and rewind in ALIAS_NOTES else []


def check(cfg: Config) -> None:
    """Refuse what the network cannot be built with: an unknown model, or shapes its
    architecture does not take. (Everything else a Config checks itself when built.)"""
    architecture(cfg.model).check(cfg)


def validate(cfg: Config) -> torch.device:
    """Reject settings that cannot work on this machine, each with one line naming the fix:
    :func:`check`, then the device, then the memory and the time the run needs
    (:mod:`lthsiren.training.budget`); returns the device. Remembered per settings (a Config is
    frozen), so a run of a Config that :func:`make_config` made checks nothing twice."""
    return _validated(cfg, os.environ.get("LTHSIREN_DEVICE"))


@functools.lru_cache(maxsize=64)
def _validated(cfg: Config, env_device: str | None) -> torch.device:
    from .training.budget import check_memory, check_work

    check(cfg)
    device = device_of(cfg)
    check_memory(cfg, device)
    check_work(cfg, device)
    return device


def device_of(cfg: Config) -> torch.device:
    """The device ``cfg`` runs on (:func:`resolve_device`, resolved once per name)."""
    return _resolved(cfg.device, os.environ.get("LTHSIREN_DEVICE"))


@functools.lru_cache(maxsize=16)
def _resolved(name: str, env_device: str | None) -> torch.device:
    return resolve_device(name)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> ``$LTHSIREN_DEVICE`` if set, else cuda if available, else cpu; a CUDA request
    without CUDA is an error."""
    if name == "auto":
        name = os.environ.get("LTHSIREN_DEVICE") or "auto"
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise LthsirenError(f"unknown device {name!r}: use auto, cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise LthsirenError(
            "--device cuda was asked for, but this PyTorch sees no CUDA GPU; "
            "use --device cpu (or auto)"
        )
    if dev.type not in ("cpu", "cuda"):
        raise LthsirenError(f"device {name!r} is not supported: use auto, cpu or cuda")
    return dev


def describe(cfg: Config) -> str:
    """One line: the preset and its settings (:func:`lthsiren.settings.summary`), the device and
    the versions: what ``lthsiren run`` and the first output of every notebook print."""
    return (
        f"{summary(cfg)}; device {device_of(cfg)}; torch {torch.__version__}; "
        f"lthsiren {__version__}"
    )
