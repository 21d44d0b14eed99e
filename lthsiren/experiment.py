"""Running an experiment for real: the results store, resume and progress bars around the round
loop of :mod:`lthsiren.training.imp`, as minGPT's Trainer keeps storage and callbacks around a model
it does not own.

:func:`run_experiment` validates the settings, loads the target, finds (or makes) the run's
folder in the store (:mod:`lthsiren.store`), resumes after its last complete round, and writes
every round as the loop yields it: masks and trained weights, records, reconstructions.
The IMP chapter calls it; the open-questions chapter and the ReLU-and-transfer chapter add controls
and the ReLU network by settings alone.
"""

from __future__ import annotations

import platform

import torch

from ._version import __version__
from .config import validate
from .data import load_image
from .progress import bar
from .settings import Config
from .store import RunDir, write_png
from .store.lock import guard
from .store.repair import repair
from .training.budget import prune_notes
from .training.imp import imp_rounds, initial_params, next_masks
from .training.plan import THETA_LATE, plan_round


def run_experiment(
    cfg: Config,
    root=None,
    force: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    notify=None,
) -> RunDir:
    """Run (or resume, or just load) the experiment ``cfg``; returns its :class:`RunDir`.

    Load-if-cached: when every round is already in the store, nothing is trained.
    ``stop_after`` ends the call after that many rounds in total (used by tests).
    ``notify`` is called with each note (e.g. ``print``): the image's conversion, a pruning
    schedule that stops removing weights, a damaged folder repaired.
    """
    device = validate(cfg)  # remembered: nothing again for a Config that make_config made
    target = load_image(cfg.image, cfg.side)  # fails before any folder is made
    for note in [*target.notes, *prune_notes(cfg)] if notify else ():
        notify(note)
    run = RunDir.for_config(cfg, target.sha256, root)
    with guard(run):  # one process per run folder; Ctrl-C says how far the run got
        return _resume(cfg, run, target, device, force, progress, stop_after, notify)


def _resume(cfg, run, target, device, force, progress, stop_after, notify) -> RunDir:
    if force:
        run.clear()
    done = repair(run, cfg, _info(cfg, target, device), notify) if run.exists() else 0
    theta0_cpu = initial_params(cfg)
    if not run.exists() or done == 0:
        run.write_info(_info(cfg, target, device))
        run.write_theta0(theta0_cpu)
        write_png(run.path / "images" / "target.png", target.pixels)
    elif run.info()["config"]["rounds"] < cfg.rounds:
        run.write_info(_info(cfg, target, device))  # extending a shorter run
    else:
        theta0_cpu = run.theta0()

    end = cfg.rounds if stop_after is None else min(cfg.rounds, stop_after)
    if done >= end:
        return run
    masks = trained = theta_late = None
    if done > 0:
        masks, trained = run.round_state(done - 1)
        masks = next_masks(cfg, trained, masks, done - 1)
        if any(plan_round(cfg, k).start == THETA_LATE for k in range(done, end)):
            theta_late = run.load_params("theta_late.pt")

    rounds_bar = bar(desc="rounds", disable=not progress, initial=done, total=end, unit="round")
    steps_bar = bar(
        total=cfg.steps,
        desc="steps",
        disable=not progress,
        leave=False,
        unit="step",
        mininterval=0.5,
    )
    several = len(cfg.seeds) > 1
    loop = imp_rounds(
        cfg,
        target,
        theta0_cpu,
        start=done,
        end=end,
        masks=masks,
        trained=trained,
        theta_late=theta_late,
        device=device,
        on_step=lambda _: steps_bar.update(),
    )
    try:
        for result in loop:
            k = result.round
            if result.theta_late is not None:
                run.write_params("theta_late.pt", result.theta_late)
            for t, rec in enumerate(result.records):
                img = result.recon[t].reshape(cfg.side, cfg.side, 3)
                write_png(run.image_path(k, rec["ticket"], rec["seed"]), img)
            run.write_round(k, result.masks, result.trained, result.records)
            rounds_bar.update()
            rounds_bar.set_postfix(
                {
                    r["ticket"] + (f"{r['seed']}" if several else ""): f"{r['psnr']:.1f}dB"
                    for r in result.records
                }
            )
            steps_bar.reset()
    finally:
        loop.close()
        steps_bar.close()
        rounds_bar.close()
    return run


def _info(cfg: Config, target, device) -> dict:
    return {
        "config": cfg.to_json(),
        "image": {"source": target.source, "sha256": target.sha256, "notes": target.notes},
        "device": str(device),
        "torch": torch.__version__,
        "lthsiren": __version__,
        "python": platform.python_version(),
    }
