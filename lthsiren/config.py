"""The experiment's settings: one dataclass, three presets, and the checks that reject absurd
values with a one-line explanation.

- ``tiny``: 32x32, width 48, 150 steps/round, lr 1e-3: seconds on a CPU; CI and nbval. Width 48
  rather than 64: at 64 the net has four times as many weights as the image has values, random
  pruning to 64% costs it nothing, and the random ticket ties the winner there (seed 0 measured
  38.4 dB winner vs 39.4 dB random); at 48 the winner leads at 64% for seeds 0, 1 and 2.
- ``laptop``: 64x64, width 128, 300 steps/round, lr 1e-3: a few minutes on 2 cores.
- ``blog``: exactly the SPEC (256x256, width 256, 1,000 steps/round, lr 1e-4): the GPU run.

All run 21 rounds (k = 0..20) pruning 20% of the alive weights per round. The default preset is
``blog`` when CUDA is available, else ``laptop``; the environment variable ``LTHSIREN_PRESET``
overrides that, and every field can be overridden on top.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from dataclasses import dataclass

import torch

from . import rewinding
from ._version import __version__
from .data import MAX_SIDE, MIN_SIDE
from .errors import LthsirenError
from .hashing import short_hash
from .model import MODELS
from .ticket import ALL_STRATEGIES, FOLLOWERS, STRATEGIES

PRESETS: dict[str, dict] = {
    "tiny": dict(side=32, width=48, steps=150, lr=1e-3, ff_sigma=2.5),
    "laptop": dict(side=64, width=128, steps=300, lr=1e-3),
    "blog": dict(side=256, width=256, steps=1000, lr=1e-4),
}
MAX_SEED = 2**32 - 1  # every generator seed derived from a seed stays within 64 bits


@dataclass
class Config:
    """Everything that defines one lottery-ticket experiment."""

    preset: str = "laptop"
    image: str = "grace_hopper"  # a path, an http(s) URL, or the bundled default
    side: int = 64
    width: int = 128
    depth: int = 5
    omega_0: float = 30.0
    steps: int = 300
    lr: float = 1e-3
    rounds: int = 21
    prune_fraction: float = 0.2
    strategies: tuple[str, ...] = STRATEGIES
    seeds: tuple[int, ...] = (0,)
    device: str = "auto"
    # What survivors start each round from: "init" (step 0, the protocol), "step:K" (late
    # rewinding), "lr-rewind" (no reset, cosine again; formerly "finetune") or "continue" (no
    # reset, constant lr/10); rewind_until=K: rounds after K carry on (lthsiren.rewinding).
    rewind: str = "init"
    rewind_until: int | None = None
    # The network: "siren", or "relu-ff" (a ReLU MLP on Fourier features of scale ff_sigma,
    # lthsiren.model) for the ReLU comparison of notebook 08.
    model: str = "siren"
    ff_sigma: float = 5.0
    # Pixels per mini-batch: None trains full batch (the protocol); N makes each step an epoch of
    # shuffled mini-batches, one Adam step each, cosine over epochs (lthsiren.minibatch).
    batch: int | None = None

    def __post_init__(self):
        self.rewind = rewinding.normalise(self.rewind)  # "finetune" is now "lr-rewind"

    def rewind_step(self) -> int | None:
        """K of a "step:K" rewind, else None."""
        return int(self.rewind.split(":", 1)[1]) if self.rewind.startswith("step:") else None

    def tickets(self) -> list[tuple[str, int]]:
        """(strategy, seed) of each ticket, in the order of the batched tensors."""
        return [(s, seed) for seed in self.seeds for s in self.strategies]

    def key(self, image_sha256: str) -> str:
        """Short hash of what determines the results. ``rounds`` is left out on purpose: a
        longer run of the same settings extends a shorter one. ``device`` is left out too."""
        d = self.to_json()
        for k in ("preset", "image", "rounds", "device"):
            d.pop(k)
        # fields added later leave the keys of runs that do not use them unchanged
        if d["model"] == "siren":
            d.pop("model")
            d.pop("ff_sigma")
        if d["batch"] is None:
            d.pop("batch")
        if d["rewind_until"] is None:
            d.pop("rewind_until")
        d["rewind"] = rewinding.KEY_NAMES.get(d["rewind"], d["rewind"])  # lr-rewind: "finetune"
        d["image_sha256"] = image_sha256
        return short_hash(d)

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        if isinstance(d["image"], os.PathLike):
            d["image"] = os.fspath(d["image"])
        for k, v in d.items():  # numpy scalars -> JSON numbers
            if isinstance(v, numbers.Integral) and not isinstance(v, bool):
                d[k] = int(v)
            elif isinstance(v, numbers.Real) and not isinstance(v, bool):
                d[k] = float(v)
        d["seeds"] = [int(s) for s in d["seeds"]]
        return d

    @classmethod
    def from_json(cls, d: dict) -> Config:
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        d["strategies"] = tuple(d.get("strategies", STRATEGIES))
        d["seeds"] = tuple(d.get("seeds", (0,)))
        return cls(**d)


def default_preset() -> str:
    env = os.environ.get("LTHSIREN_PRESET")
    if env:
        return env
    return "blog" if torch.cuda.is_available() else "laptop"


def make_config(preset: str | None = None, **overrides) -> Config:
    """A validated :class:`Config`: a preset (default: see module doc) plus overrides.
    Overrides that are ``None`` are ignored, so CLI arguments can be passed straight in."""
    preset = preset or default_preset()
    if preset not in PRESETS:
        raise LthsirenError(
            f"unknown preset {preset!r}: choose from {', '.join(PRESETS)} "
            "(check --preset or LTHSIREN_PRESET)"
        )
    fields = {"preset": preset, **PRESETS[preset]}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(fields) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise TypeError(f"unknown Config fields: {sorted(unknown)}")
    # a lone string stays a string, for check() to refuse: tuple("10") would be ("1", "0")
    for key in ("strategies", "seeds"):
        if isinstance(fields.get(key), (list, tuple, range)):
            fields[key] = tuple(fields[key])
    if isinstance(fields.get("seeds"), tuple):
        fields["seeds"] = tuple(int(s) if _whole(s) else s for s in fields["seeds"])
    if isinstance(fields.get("image"), os.PathLike):
        fields["image"] = os.fspath(fields["image"])
    cfg = Config(**fields)
    validate(cfg)
    rewinding.note_alias(fields.get("rewind"))  # "finetune": say it is lr-rewind now
    return cfg


def _whole(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _finite(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def validate(cfg: Config) -> None:
    """Reject settings that cannot work on this machine, each with one line naming the fix:
    :func:`check`, then the device, then the memory the run needs (:mod:`lthsiren.budget`)."""
    from .budget import check_memory

    check(cfg)
    check_memory(cfg, resolve_device(cfg.device))


def check(cfg: Config) -> None:
    """Reject settings that cannot work anywhere (types, ranges, combinations)."""

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise LthsirenError(message)

    for name, flag in [
        ("side", "--side"),
        ("width", "--width"),
        ("depth", "depth"),
        ("steps", "--steps"),
        ("rounds", "--rounds"),
    ]:
        value = getattr(cfg, name)
        need(_whole(value), f"{flag} must be a whole number, got {value!r}")
    for name, flag in [
        ("lr", "--lr"),
        ("omega_0", "omega_0"),
        ("prune_fraction", "--fraction"),
        ("ff_sigma", "ff_sigma"),
    ]:
        value = getattr(cfg, name)
        need(_finite(value), f"{flag} must be a finite number, got {value!r}")
    for name in ("preset", "rewind", "model", "device"):
        value = getattr(cfg, name)
        need(isinstance(value, str), f"{name} must be a string, got {value!r}")
    need(
        isinstance(cfg.image, (str, os.PathLike)),
        f"image must be a path, a URL or a bundled name, got {cfg.image!r}",
    )
    need(
        isinstance(cfg.strategies, (tuple, list))
        and all(isinstance(s, str) for s in cfg.strategies),
        f"strategies must be a list of names such as ('smallest',), got {cfg.strategies!r}",
    )
    need(
        isinstance(cfg.seeds, (tuple, list)) and all(_whole(s) for s in cfg.seeds),
        f"--seeds must be a list of whole numbers such as (0, 1), got {cfg.seeds!r}",
    )
    need(cfg.side >= MIN_SIDE, f"--side must be at least {MIN_SIDE} pixels, got {cfg.side}")
    need(cfg.side <= MAX_SIDE, f"--side {cfg.side} is too large; use at most {MAX_SIDE}")
    need(cfg.width >= 1, f"--width must be a positive number of neurons, got {cfg.width}")
    need(cfg.depth >= 2, f"--depth must be at least 2 layers, got {cfg.depth}")
    need(cfg.steps >= 1, f"--steps must be at least 1 step per round, got {cfg.steps}")
    need(
        cfg.rounds >= 1,
        f"--rounds must be at least 1 (round 0 trains the dense net), got {cfg.rounds}",
    )
    need(cfg.lr > 0 and cfg.lr < 1, f"--lr must be in (0, 1), got {cfg.lr}")
    need(cfg.omega_0 > 0, f"omega_0 must be positive, got {cfg.omega_0}")
    need(
        0.0 < cfg.prune_fraction < 1.0,
        "--fraction must be in (0, 1) (the share of alive weights pruned per round), "
        f"got {cfg.prune_fraction}",
    )
    need(len(cfg.strategies) > 0, "--strategies must name at least one strategy")
    for s in cfg.strategies:
        need(
            s in ALL_STRATEGIES,
            f"unknown strategy {s!r}: choose from {', '.join(ALL_STRATEGIES)}",
        )
    need(len(set(cfg.strategies)) == len(cfg.strategies), "--strategies lists a strategy twice")
    need(
        not (set(cfg.strategies) & set(FOLLOWERS)) or "smallest" in cfg.strategies,
        "--strategies reinit and budget follow the winner's mask: list smallest too",
    )
    need(
        cfg.model in MODELS,
        f"unknown model {cfg.model!r}: choose {' or '.join(MODELS)}",
    )
    need(
        cfg.model != "relu-ff" or (cfg.width >= 2 and cfg.width % 2 == 0),
        f"--model relu-ff needs an even width (its Fourier encoding is width wide), "
        f"got {cfg.width}",
    )
    need(
        cfg.model != "relu-ff" or cfg.depth >= 3,
        f"--model relu-ff needs depth >= 3 (the encoding replaces a layer), got {cfg.depth}",
    )
    need(cfg.ff_sigma > 0, f"ff_sigma must be positive, got {cfg.ff_sigma}")
    need(
        cfg.batch is None or (_whole(cfg.batch) and cfg.batch >= 1),
        f"--batch must be a positive whole number of pixels (leave it out for full batch), "
        f"got {cfg.batch!r}",
    )
    need(len(cfg.seeds) > 0, "--seeds must list at least one seed")
    need(len(set(cfg.seeds)) == len(cfg.seeds), "--seeds lists a seed twice")
    need(
        all(0 <= s <= MAX_SEED for s in cfg.seeds),
        f"--seeds must be whole numbers from 0 to {MAX_SEED:,} (2**32 - 1), got "
        f"{', '.join(str(s) for s in cfg.seeds if not 0 <= s <= MAX_SEED)}",
    )
    rewinding.check(cfg)  # --rewind and --rewind-until


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
    """One line naming the preset and its settings, the device and the versions: what the
    first output of every notebook says."""
    device = resolve_device(cfg.device)
    return (
        f"preset {cfg.preset}: {cfg.side}x{cfg.side} image, width {cfg.width}, {cfg.steps} steps"
        f" x {cfg.rounds} rounds, lr {cfg.lr:g}; device {device}; torch {torch.__version__}; "
        f"lthsiren {__version__}"
    )
