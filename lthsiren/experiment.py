"""The round loop of iterative magnitude pruning with rewinding (Frankle & Carbin 2019), run for
several tickets at once.

Round 0 trains the dense net. After each round every ticket prunes 20% of its alive weights by
its own strategy, every survivor is rewound to its step-0 value, and all tickets train again,
batched, from a fresh optimizer. Each (strategy, seed) pair is one ticket; tickets of the same
seed share ``theta0``. Results go to the store of :mod:`lthsiren.store`; a rerun resumes.
Notebook 03 runs this loop and plots what it finds; notebook 06 adds the ``reinit`` control and
late rewinding (:mod:`lthsiren.controls`), notebook 07 the ReLU network
(:mod:`lthsiren.architectures`).
"""

from __future__ import annotations

import platform
import time

import torch
from tqdm.auto import tqdm

from . import __version__
from .architectures import activation, init_network, network_inputs
from .config import Config, resolve_device, validate
from .controls import reinit_start, winner_index
from .data import coordinate_grid, load_image
from .metrics import hfe, psnr
from .pruning import TICKET_NAMES, full_mask, prune_step, rewind
from .store import RunDir, write_png
from .train import TicketTrainer


def stack_params(per_ticket: list) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``[(W, b), ...]`` per ticket -> batched ``[(W [T, ...], b [T, ...]), ...]``."""
    return [
        (torch.stack([p[i][0] for p in per_ticket]), torch.stack([p[i][1] for p in per_ticket]))
        for i in range(len(per_ticket[0]))
    ]


def ticket_params(batched, t: int):
    """Ticket ``t``'s ``[(W, b), ...]`` out of batched parameters."""
    return [(w[t], b[t]) for w, b in batched]


def initial_params(cfg: Config):
    """Batched ``theta0``: tickets of one seed start from identical weights."""
    by_seed = {s: init_network(cfg, s) for s in cfg.seeds}
    return stack_params([by_seed[seed] for _, seed in cfg.tickets()])


def prune_generator(seed: int, round_index: int) -> torch.Generator:
    """The random strategy's RNG, a function of (seed, round) only, so a resumed run draws the
    same masks as an uninterrupted one."""
    return torch.Generator().manual_seed(1_000_003 * (seed + 1) + round_index)


def next_masks(cfg: Config, trained, masks, round_index: int) -> list[torch.Tensor]:
    """Prune every ticket once, each by its own strategy: the masks for round ``round_index+1``.
    A ``reinit`` ticket takes the new mask of its seed's winner."""
    tickets = cfg.tickets()
    per_ticket: list = [None] * len(tickets)
    for t, (strategy, seed) in enumerate(tickets):
        if strategy == "reinit":
            continue
        weights = [w for w, _ in ticket_params(trained, t)]
        gen = prune_generator(seed, round_index)
        per_ticket[t] = prune_step(
            weights, [m[t] for m in masks], strategy, cfg.prune_fraction, gen
        )
    for t, (strategy, seed) in enumerate(tickets):
        if strategy == "reinit":
            per_ticket[t] = [m.clone() for m in per_ticket[winner_index(cfg, seed)]]
    return [torch.stack([pt[i] for pt in per_ticket]) for i in range(len(masks))]


def round_start(cfg: Config, k: int, masks, theta0, theta_late=None, trained=None):
    """Where every ticket starts round ``k``: survivors rewound (to step 0, to step K of round 0,
    or not at all under ``finetune``), and each ``reinit`` ticket's survivors re-drawn."""
    if k == 0 or cfg.rewind == "init":
        base = theta0
    elif cfg.rewind == "finetune":  # no rewinding: keep training the pruned weights
        base = trained
    else:  # late rewinding, to the weights after K steps of round 0
        base = theta_late
    device = masks[0].device
    start = rewind([(w.to(device), b.to(device)) for w, b in base], masks)
    if k > 0:
        for t, (strategy, seed) in enumerate(cfg.tickets()):
            if strategy == "reinit":
                fresh = reinit_start(cfg, seed, k, [m[t] for m in masks])
                for (w, b), (fw, fb) in zip(start, fresh):
                    w[t] = fw
                    b[t] = fb
    return start


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
    ``notify`` is called with each note on the image's conversion (e.g. ``print``).
    """
    validate(cfg)
    device = resolve_device(cfg.device)
    target = load_image(cfg.image, cfg.side)  # fails before any folder is made
    for note in target.notes if notify else ():
        notify(note)
    run = RunDir.for_config(cfg, target.sha256, root)
    if force:
        run.clear()
    done = run.completed_rounds() if run.exists() else 0
    theta0_cpu = initial_params(cfg)
    if not run.exists() or done == 0:
        run.write_info(_info(cfg, target, device))
        run.write_theta0(theta0_cpu)
        write_png(run.path / "images" / "target.png", target.pixels)
    elif run.info()["config"]["rounds"] < cfg.rounds:
        run.write_info(_info(cfg, target, device))  # extending a shorter run
    else:
        theta0_cpu = run.theta0()

    tickets = cfg.tickets()
    end = cfg.rounds if stop_after is None else min(cfg.rounds, stop_after)
    if done >= end:
        return run
    late = cfg.rewind_step()
    theta_late = trained = None
    if done > 0:
        masks, trained = run.round_state(done - 1)
        masks = next_masks(cfg, trained, masks, done - 1)
        if late is not None:
            theta_late = run.load_params("theta_late.pt")
    else:
        masks = [
            m.unsqueeze(0).expand(len(tickets), *m.shape).clone()
            for m in full_mask([w[0] for w, _ in theta0_cpu])
        ]

    inputs = network_inputs(cfg, coordinate_grid(cfg.side).to(device))
    pixels = target.flat().to(device)
    trainer = TicketTrainer(inputs, pixels, cfg.omega_0, activation=activation(cfg))
    n_weights = sum(m[0].numel() for m in masks)

    rounds_bar = tqdm(
        range(done, end), desc="rounds", disable=not progress, initial=done, total=end, unit="round"
    )
    steps_bar = tqdm(
        total=cfg.steps,
        desc="steps",
        disable=not progress,
        leave=False,
        unit="step",
        mininterval=0.5,
    )
    try:
        for k in rounds_bar:
            steps_bar.reset()
            masks_dev = [m.to(device) for m in masks]
            t0 = time.perf_counter()
            trained, snapshot = trainer.fit(
                round_start(cfg, k, masks_dev, theta0_cpu, theta_late, trained),
                masks_dev,
                cfg.steps,
                cfg.lr,
                on_step=lambda _: steps_bar.update(),
                snapshot_step=late if k == 0 else None,
            )
            if snapshot is not None:
                theta_late = [(w.cpu(), b.cpu()) for w, b in snapshot]
                run.write_params("theta_late.pt", theta_late)
            recon = trainer.predict().cpu()
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - t0
            trained = [(w.cpu(), b.cpu()) for w, b in trained]
            records = []
            target_img = target.pixels
            for t, (strategy, seed) in enumerate(tickets):
                img = recon[t].reshape(cfg.side, cfg.side, 3)
                alive = sum(int(m[t].sum()) for m in masks)
                rec = {
                    "round": k,
                    "ticket": TICKET_NAMES[strategy],
                    "strategy": strategy,
                    "seed": seed,
                    "remaining": alive / n_weights,
                    "alive": alive,
                    "psnr": psnr(img, target_img),
                    "hfe": hfe(img, target_img),
                    "loss": float(torch.mean((recon[t] - target.flat()) ** 2)),
                    "seconds": seconds,
                }
                records.append(rec)
                write_png(run.image_path(k, rec["ticket"], seed), img)
            run.write_round(k, masks, trained, records)
            several = len(cfg.seeds) > 1
            rounds_bar.set_postfix(
                {
                    r["ticket"] + (f"{r['seed']}" if several else ""): f"{r['psnr']:.1f}dB"
                    for r in records
                }
            )
            if k + 1 < cfg.rounds:
                masks = next_masks(cfg, trained, masks, k)
    finally:
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
