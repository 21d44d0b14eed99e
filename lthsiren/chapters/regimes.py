"""The loser's first prune under other regimes: the reference appendix's helper (docs/reference.md).

Global anti-IMP (prune the *largest* 20% of the alive weights) takes nearly the whole first layer
in its first prune, because the SIREN's first-layer init range is far wider than the hidden
layers'. The reference (256x256, width 256, lr 1e-4, 1,000 steps) kept 6 of its 512 input
weights and still trained to 29.3 dB; our ``laptop`` loser keeps a handful of 256 and ends near
the flat image. Which difference of regime matters? :data:`CHANGES` varies one setting at a time
from a preset, each a two-round run of the ``largest`` strategy alone (dense round, first prune),
stored like every run. :func:`thread_spread` retrains the same two rounds under other CPU thread
counts, because docs/reference.md records that this round moves by dB between thread counts: a
single value is not to be read without its spread.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..config import Config, make_config, resolve_device
from ..data import load_image
from ..experiment import run_experiment
from ..hashing import short_hash
from ..network.ticket import alive_per_layer
from ..store import RunDir, default_root
from ..store.atomic import write_text
from ..training.imp import imp_rounds, initial_params

# one change at a time, relative to the preset: at laptop these are width 256, lr 1e-4 with
# 1,000 steps, and 128x128, the reference's values for each setting
CHANGES: dict[str, dict] = {
    "as the preset": {},
    "width x2": {"width": 2},
    "lr / 10, steps x 10/3": {"lr": 0.1, "steps": 10 / 3},
    "side x2": {"side": 2},
}


def changed_config(preset: str, seeds, change: dict) -> Config:
    """The two-round, loser-only config of ``preset`` with one :data:`CHANGES` entry applied
    (factors multiply the preset's values; steps and sizes are rounded to whole numbers)."""
    base = make_config(preset)
    fields = {}
    for name, factor in change.items():
        value = getattr(base, name) * factor
        fields[name] = value if name == "lr" else int(round(value))
    return make_config(preset, seeds=tuple(seeds), strategies=("largest",), rounds=2, **fields)


def first_prune_runs(preset: str, seeds, root=None, progress: bool = True) -> dict[str, RunDir]:
    """Run (or load) every :data:`CHANGES` entry; ``{change name: run}``."""
    return {
        name: run_experiment(changed_config(preset, seeds, change), root=root, progress=progress)
        for name, change in CHANGES.items()
    }


def first_prune_rows(run: RunDir) -> list[dict]:
    """One row per seed: the loser's PSNR dense and after its first prune, and its per-layer
    alive counts after that prune (with the layer sizes)."""
    cfg = run.config()
    masks, _ = run.round_state(1)
    psnr = {(r["round"], r["seed"]): r["psnr"] for r in run.records()}
    rows = []
    for t, (_, seed) in enumerate(cfg.tickets()):
        rows.append(
            {
                "seed": seed,
                "dense": psnr[(0, seed)],
                "first_prune": psnr[(1, seed)],
                "alive": alive_per_layer([m[t] for m in masks]),
                "sizes": [m[t].numel() for m in masks],
            }
        )
    return rows


def _spread_key(cfg: Config, threads: int) -> str:
    return short_hash({"config": cfg.to_json(), "threads": threads})


def thread_spread(cfg: Config, threads=(1, 2), root=None, force: bool = False) -> dict[int, list]:
    """Train ``cfg``'s first two rounds under each CPU thread count; ``{threads: [PSNR after
    the first prune, per ticket]}``. Nothing is stored but the numbers (one JSON file per thread
    count in the results store, loaded instead of retrained next time)."""
    root = Path(root) if root is not None else default_root()
    device = resolve_device(cfg.device)
    out = {}
    for n in threads:
        path = root / f"first-prune-threads{n}-{_spread_key(cfg, n)}.json"
        if path.exists() and not force:
            out[n] = json.loads(path.read_text())["psnr"]
            continue
        target = load_image(cfg.image, cfg.side)
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            rounds = imp_rounds(cfg, target, initial_params(cfg), end=2, device=device)
            last = list(rounds)[-1]
        finally:
            torch.set_num_threads(before)
        out[n] = [rec["psnr"] for rec in last.records]
        write_text(path, json.dumps({"threads": n, "psnr": out[n]}))
    return out
