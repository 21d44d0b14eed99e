"""The experiment's settings, at the bottom of the package (as OpenLTH's hparams): a frozen
:class:`Config` whose every field says beside its default what it means, its ``lthsiren run``
flag, its checks, how it enters the run key, whether it changes training and how :func:`summary`
shows it; the CLI's options, the checks, the key and the summary are generated from the fields.
Standard library only (no torch; of lthsiren, only errors). A Config is checked when built; the
checks that need the layers above (architecture, device, memory, time) run once in the factory,
:func:`lthsiren.config.make_config`, whose docstring describes the presets.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

from .errors import LthsirenError
from .hashing import short_hash

PRESETS: dict[str, dict] = {
    "tiny": dict(side=32, width=48, steps=150, lr=1e-3, ff_sigma=2.5),
    "laptop": dict(side=64, width=128, steps=300, lr=1e-3),
    "blog": dict(side=256, width=256, steps=1000, lr=1e-4),
}
DEFAULT_IMAGE = "grace_hopper"  # lthsiren.data ships it (matplotlib's sample data)
MIN_SIDE, MAX_SIDE = 8, 4096
MAX_SEED = 2**32 - 1  # every generator seed derived from a seed stays within 64 bits

STRATEGIES = ("smallest", "random", "largest")
# the same magnitude ranking within each layer, or across all but the first (the open-questions
# chapter)
SCOPED_STRATEGIES = ("smallest-layer", "largest-layer", "largest-not-first")
# controls that follow their seed's winner: its mask re-drawn, a random mask of its layer counts
FOLLOWERS = ("reinit", "budget")
ALL_STRATEGIES = STRATEGIES + FOLLOWERS + SCOPED_STRATEGIES

# what the survivors of a pruned round start from (lthsiren.training.rewinding explains each mode)
REWIND_MODES = ("init", "step", "lr-rewind", "continue")
CARRY_ON = ("lr-rewind", "continue")  # the modes that never reset the weights
ALIASES = {"finetune": "lr-rewind"}  # old names still accepted, and their current names
# current names that hash under their old name, so the run keys of stored runs do not change
KEY_NAMES = {new: old for old, new in ALIASES.items()}

# When a field enters the run key: always, never, or (the default, right for any field added
# later: it leaves the keys of stored runs that do not use it unchanged) when not at its default.
ALWAYS, NEVER, WHEN_SET = "always", "never", "when set"
Rule = Callable[[Any, str], "str | None"]  # (value, label) -> what is wrong, or None


def need(ok: Callable[[Any], bool], message: str) -> Rule:
    """A rule: ``message`` (``{v}``: the value, ``{label}``: the field's) where ``ok`` fails."""
    return lambda v, label: None if ok(v) else message.format(v=v, label=label)


def whole(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def finite(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and isfinite(x)


WHOLE = need(whole, "{label} must be a whole number, got {v!r}")
FINITE = need(finite, "{label} must be a finite number, got {v!r}")


def text(name: str) -> Rule:
    return need(lambda v: isinstance(v, str), f"{name} must be a string, got {{v!r}}")


@dataclass(frozen=True)
class Setting:
    """What one field of :class:`Config` says about itself, beside its default."""

    help: str = ""  # the --help text
    rules: tuple[Rule, ...] = ()  # checked in order when a Config is built: the first failure
    flag: str | None = None  # None: "--" and the field's name with dashes
    label: str | None = None  # its name in error messages (None: the flag)
    cli: dict = field(default_factory=dict)  # argparse: nargs, metavar, action, type
    key: str | Callable[[Config], bool] = WHEN_SET  # ALWAYS, NEVER, WHEN_SET, or when cfg says
    key_as: Callable[[Any], Any] | None = None  # the value as it enters the key
    trains: bool = True  # whether two runs that differ in it train differently
    show: str | Callable[[Any, Config], str] | None = "{name} {v}"  # in summary(); None: never


def setting(default, help: str, *rules: Rule, **about_it) -> Any:
    """A Config field: ``about_it`` sets :class:`Setting`'s fields, the rest goes to argparse."""
    own = {k: about_it.pop(k) for k in [*about_it] if k in Setting.__dataclass_fields__}
    return field(default=default, metadata={"setting": Setting(help, rules, cli=about_it, **own)})


def about(f: dataclasses.Field) -> Setting:
    """The :class:`Setting` of a field (a bare field gets a plain one), flag and label filled."""
    s = f.metadata.get("setting") or Setting(f.name)
    flag = s.flag or "--" + f.name.replace("_", "-")
    return dataclasses.replace(s, flag=flag, label=s.label or flag)


def _relu(cfg) -> bool:
    return cfg.model != "siren"


def _each_strategy(v, label) -> str | None:
    for s in v:
        if s not in ALL_STRATEGIES:
            return f"unknown strategy {s!r}: choose from {', '.join(ALL_STRATEGIES)}"
    return None


def _seeds_in_range(v, label) -> str | None:
    bad = ", ".join(str(s) for s in v if not 0 <= s <= MAX_SEED)
    if bad:
        return f"{label} must be whole numbers from 0 to {MAX_SEED:,} (2**32 - 1), got {bad}"
    return None


@dataclass(frozen=True)
class Rewind:
    """The ``rewind`` and ``rewind_until`` settings, parsed: ``mode`` is one of REWIND_MODES,
    ``step`` the K of ``step:K`` (else None), ``until`` the last rewinding round (None: all)."""

    mode: str
    step: int | None
    until: int | None


def parse_rewind(rewind: str, until, steps: int, rounds: int) -> Rewind:
    """Check ``rewind`` and ``rewind_until`` against ``steps`` and ``rounds``; the parse."""
    rewind = ALIASES.get(rewind, rewind)
    late = re.fullmatch(r"step:([0-9]+)", rewind)  # ASCII digits: "step:²" is not a step
    if not (rewind in ("init", *CARRY_ON) or (late and 0 < int(late[1]) < steps)):
        raise LthsirenError(
            f"--rewind {rewind!r} is not valid: use init, step:K with 0 < K < steps "
            f"({steps}), lr-rewind, or continue"
        )
    if until is not None and not (whole(until) and 0 <= until < rounds):
        raise LthsirenError(
            f"--rewind-until {until!r} is not valid: use a whole number K with 0 <= K < rounds "
            f"({rounds}), or leave it out to rewind every round"
        )
    return Rewind("step" if late else rewind, int(late[1]) if late else None, until)


@dataclass(frozen=True)
class Config:
    """Everything that defines one lottery-ticket experiment; checked when built. Each field is
    setting(default, help, rules..., how it enters the key, whether it trains, how it shows)."""

    # One setting per block, a table to read down: left as written by the formatter.
    # fmt: off
    preset: str = setting(
        "laptop", "tiny, laptop or blog (default: blog with CUDA, else laptop; or "
        "$LTHSIREN_PRESET)", text("preset"), need(lambda v: v in PRESETS, "unknown preset {v!r}: "
        f"choose from {', '.join(PRESETS)} (check --preset or LTHSIREN_PRESET)"),
        key=NEVER, trains=False, show=None)
    image: str = setting(
        DEFAULT_IMAGE, "image path, http(s) URL, or a bundled name: grace_hopper (default) or "
        "present", need(lambda v: isinstance(v, str), "image must be a path, a URL or a bundled "
        "name, got {v!r}"), key=NEVER, trains=False, show=lambda v, cfg: v.rsplit("/", 1)[-1])
    side: int = setting(
        64, "image side in pixels", WHOLE,
        need(lambda v: v >= MIN_SIDE, f"{{label}} must be at least {MIN_SIDE} pixels, got {{v}}"),
        need(lambda v: v <= MAX_SIDE, f"{{label}} {{v}} is too large; use at most {MAX_SIDE}"),
        key=ALWAYS, show="{v}x{v}")
    width: int = setting(
        128, "hidden layer width", WHOLE,
        need(lambda v: v >= 1, "{label} must be a positive number of neurons, got {v}"), key=ALWAYS)
    depth: int = setting(
        5, "layers, the output layer included (default: 5)", WHOLE,
        need(lambda v: v >= 2, "{label} must be at least 2 layers, got {v}"), key=ALWAYS)
    omega_0: float = setting(
        30.0, "SIREN frequency scale (default: 30)", FINITE, need(lambda v: v > 0, "{label} must "
        "be positive, got {v}"), label="omega_0", key=ALWAYS, metavar="W",
        show=lambda v, cfg: "" if _relu(cfg) else f"omega_0 {v:g}")
    steps: int = setting(
        300, "training steps per round", WHOLE,
        need(lambda v: v >= 1, "{label} must be at least 1 step per round, got {v}"), key=ALWAYS,
        show=lambda v, cfg: f"{v} " + ("steps" if cfg.batch is None else
                                       f"epochs (batch {cfg.batch})"))
    lr: float = setting(
        1e-3, "Adam learning rate", FINITE,
        need(lambda v: 0 < v < 1, "{label} must be in (0, 1), got {v}"), key=ALWAYS)
    rounds: int = setting(
        21, "pruning rounds including the dense round 0", WHOLE, need(lambda v: v >= 1, "{label} "
        "must be at least 1 (round 0 trains the dense net), got {v}"),
        key=NEVER, trains=False, show="{v} rounds")
    prune_fraction: float = setting(
        0.2, "share of alive weights pruned per round", FINITE, need(lambda v: 0.0 < v < 1.0,
        "{label} must be in (0, 1) (the share of alive weights pruned per round), got {v}"),
        flag="--fraction", key=ALWAYS, show="fraction {v}")
    strategies: tuple[str, ...] = setting(
        STRATEGIES, "any of smallest (winner), random, largest (loser); the controls reinit (the "
        "winner's mask, re-drawn weights) and budget (a random mask with the winner's per-layer "
        "counts); smallest-layer, largest-layer (ranked within each layer), largest-not-first",
        need(lambda v: isinstance(v, tuple) and all(isinstance(s, str) for s in v),
             "strategies must be a list of names such as ('smallest',), got {v!r}"),
        need(len, "{label} must name at least one strategy"), _each_strategy,
        need(lambda v: len(set(v)) == len(v), "{label} lists a strategy twice"),
        need(lambda v: not set(v) & set(FOLLOWERS) or "smallest" in v,
             "{label} reinit and budget follow the winner's mask: list smallest too"),
        key=ALWAYS, trains=False, nargs="+", metavar="S")
    seeds: tuple[int, ...] = setting(
        (0,), "init seeds (default: 0)", need(lambda v: isinstance(v, tuple) and all(map(whole, v)),
        "{label} must be a list of whole numbers such as (0, 1), got {v!r}"),
        need(len, "{label} must list at least one seed"),
        need(lambda v: len(set(v)) == len(v), "{label} lists a seed twice"), _seeds_in_range,
        key=ALWAYS, trains=False, nargs="+", type=int, metavar="N")
    device: str = setting(
        "auto", "auto, cpu or cuda (default: auto)", text("device"),
        key=NEVER, trains=False, show=None)
    rewind: str = setting(  # read through cfg.rewinding (training/rewinding.py explains the modes)
        "init", "what survivors start each round from: init (step 0, default), step:K (late), "
        "lr-rewind (no reset, the cosine schedule again; formerly finetune), or continue (no "
        "reset, true fine-tuning at a constant lr/10: our cosine ends at 0)", text("rewind"),
        key=ALWAYS, key_as=lambda v: KEY_NAMES.get(v, v))
    rewind_until: int | None = setting(  # checked with rewind, by parse_rewind
        None, "rewind only rounds up to K; later rounds train on from the previous round's "
        "trained weights, masked, with the full cosine schedule (default: every round)",
        type=int, metavar="K", show="rewind until {v}")
    model: str = setting(  # lthsiren.network.model's architectures check the name and their shapes
        "siren", "siren (default) or relu-ff (ReLU MLP on Fourier features)", text("model"),
        show="model {v}")
    ff_sigma: float = setting(
        5.0, "relu-ff only: the scale of its Fourier features (default: 5)", FINITE,
        need(lambda v: v > 0, "{label} must be positive, got {v}"), label="ff_sigma",
        key=_relu, metavar="SIGMA", show=lambda v, cfg: f"ff_sigma {v:g}" if _relu(cfg) else "")
    batch: int | None = setting(  # None: full batch (the protocol); lthsiren.training.minibatch
        None, "shuffled mini-batches of N pixels, one Adam step each, cosine over epochs (each "
        "step of --steps is an epoch); default: full batch", need(lambda v: v is None or (whole(v)
        and v >= 1), "{label} must be a positive whole number of pixels (leave it out for full "
        "batch), got {v!r}"), type=int, metavar="N", show=None)
    allow_long: bool = setting(
        False, "run even when the estimated time is more than a week (lthsiren.training.budget)",
        need(lambda v: isinstance(v, bool), "{label} must be True or False, got {v!r}"),
        key=NEVER, trains=False, action="store_true", show=lambda v, cfg: "long allowed" * v)
    # fmt: on

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "image" and v is None:
                v = DEFAULT_IMAGE
            elif isinstance(v, os.PathLike):
                v = os.fspath(v)
            elif isinstance(f.default, tuple) and isinstance(v, (list, tuple, range)):
                v = tuple(int(x) if whole(x) else x for x in v)  # numpy ints included
            elif f.name == "rewind" and isinstance(v, str):
                v = ALIASES.get(v, v)  # "finetune" is now "lr-rewind"
            object.__setattr__(self, f.name, v)
            s = about(f)
            for rule in s.rules:
                if (message := rule(v, s.label)) is not None:
                    raise LthsirenError(message)
        # the settings checked together, computed once: lthsiren.training.rewinding reads it
        rewinding = parse_rewind(self.rewind, self.rewind_until, self.steps, self.rounds)
        object.__setattr__(self, "rewinding", rewinding)

    def rewind_step(self) -> int | None:
        """K of a "step:K" rewind, else None (``self.rewinding.step``)."""
        return self.rewinding.step

    def tickets(self) -> list[tuple[str, int]]:
        """(strategy, seed) of each ticket, in the order of the batched tensors."""
        return [(s, seed) for seed in self.seeds for s in self.strategies]

    def key_fields(self) -> dict:
        """What enters the run key, by field name, as JSON values."""
        values, out = self.to_json(), {}
        for f in dataclasses.fields(self):
            s = about(f)
            if s.key == NEVER or (s.key == WHEN_SET and getattr(self, f.name) == f.default):
                continue
            if callable(s.key) and not s.key(self):
                continue
            out[f.name] = s.key_as(values[f.name]) if s.key_as else values[f.name]
        return out

    def key(self, image_sha256: str) -> str:
        """Short hash of what determines the results. ``rounds`` is left out on purpose: a
        longer run of the same settings extends a shorter one. ``device`` is left out too."""
        d = {**self.key_fields(), "image_sha256": image_sha256}
        return short_hash(d)

    @classmethod
    def training_fields(cls) -> tuple[str, ...]:
        """The fields in which two runs that train differently may differ."""
        return tuple(f.name for f in dataclasses.fields(cls) if about(f).trains)

    def to_json(self) -> dict:
        return {k: _json(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict) -> Config:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _json(v):
    """``v`` as JSON has it: numpy scalars as numbers, tuples as lists."""
    if isinstance(v, tuple):
        return [_json(x) for x in v]
    if whole(v):
        return int(v)
    return float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v


def summary(cfg: Config) -> str:
    """One line: the preset, then every setting a reader needs (what ``lthsiren run`` prints
    first, and the start of :func:`lthsiren.config.describe`)."""
    parts = []
    for f in dataclasses.fields(cfg):
        v, show = getattr(cfg, f.name), about(f).show
        if show is not None and v is not None:
            parts.append(show(v, cfg) if callable(show) else show.format(v=_shown(v), name=f.name))
    return f"preset {cfg.preset}: {', '.join(p for p in parts if p)}"


def _shown(v) -> str:
    if isinstance(v, tuple):
        return " ".join(map(str, v))
    return f"{v:g}" if isinstance(v, float) else str(v)
