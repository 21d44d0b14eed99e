"""The round loop of iterative magnitude pruning with rewinding (Frankle & Carbin 2019), for many
tickets at once, and nothing else: no files, no progress bars.

One round is four plain steps, each a function here: **rewind** (:func:`round_start`: every survivor
back to its step-0 value, or to step K of round 0, or not at all, as the round's plan says,
:func:`lthsiren.training.plan.plan_round`), **train** (:func:`train_round`, on the batched engine
:class:`lthsiren.training.engine.TicketTrainer`, with the plan's schedule and mini-batches),
**score** (:func:`score`: PSNR, HFE and the alive count of every ticket) and **prune**
(:func:`next_masks`: each ticket removes 20% of its alive weights by its own strategy).
:func:`imp_rounds` chains them and yields one :class:`RoundResult` per round, so a notebook can
drive the loop itself; :func:`lthsiren.experiment.run_experiment` keeps the results store, resume
and progress around it. Round 0 trains the dense net. Each (strategy, seed) pair is one ticket;
tickets of the same seed share ``theta0``. The IMP chapter runs this loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..metrics import hfe, psnr
from ..network.architectures import activation, forward_scale, init_network, network_inputs
from ..network.compaction import is_whole, live_neurons, narrow, widen
from ..network.pruning import (
    budget_generator,
    budget_mask,
    prune_generator,
    prune_step,
    reinit_start,
    rewind,
)
from ..network.ticket import (
    FOLLOWERS,
    TICKET_NAMES,
    BatchedParams,
    Mask,
    TicketParams,
    full_mask,
    mask_of,
    stack,
    stack_masks,
    ticket_index,
    unstack,
    weights_of,
)
from .engine import TicketTrainer
from .plan import RoundPlan, plan_round


def initial_params(cfg) -> BatchedParams:
    """Batched ``theta0``: tickets of one seed start from identical weights."""
    by_seed = {s: init_network(cfg, s) for s in cfg.seeds}
    return stack([by_seed[seed] for _, seed in cfg.tickets()])


def initial_masks(cfg, theta0: BatchedParams) -> Mask:
    """Round 0's batched masks: every weight of every ticket alive."""
    T = len(cfg.tickets())
    return [m.unsqueeze(0).expand(T, *m.shape).clone() for m in full_mask(weights_of(theta0, 0))]


def next_masks(cfg, trained: BatchedParams, masks: Mask, round_index: int) -> Mask:
    """Prune every ticket once, each by its own strategy: the masks for round ``round_index+1``.
    A ``reinit`` ticket takes the new mask of its seed's winner, a ``budget`` ticket a random mask
    with that mask's per-layer alive counts."""
    tickets = cfg.tickets()
    per_ticket: list = [None] * len(tickets)
    for t, (strategy, seed) in enumerate(tickets):
        if strategy in FOLLOWERS:
            continue
        weights = weights_of(trained, t)
        gen = prune_generator(seed, round_index)
        per_ticket[t] = prune_step(weights, mask_of(masks, t), strategy, cfg.prune_fraction, gen)
    for t, (strategy, seed) in enumerate(tickets):
        winner = per_ticket[ticket_index(cfg, "smallest", seed)] if strategy in FOLLOWERS else None
        if strategy == "reinit":
            per_ticket[t] = [m.clone() for m in winner]
        elif strategy == "budget":
            per_ticket[t] = budget_mask(winner, budget_generator(seed, round_index))
    return stack_masks(per_ticket)


def round_start(cfg, k: int, masks: Mask, theta0, theta_late=None, trained=None) -> BatchedParams:
    """Where every ticket starts round ``k``: the weights its plan names (``theta0``, the
    ``theta_late`` of a ``step:K`` run, or the previous round's ``trained`` weights;
    :func:`lthsiren.training.plan.plan_round`), masked, and each ``reinit`` ticket's survivors
    re-drawn."""
    base = plan_round(cfg, k).start_weights(theta0, theta_late, trained)
    device = masks[0].device
    start = rewind([(w.to(device), b.to(device)) for w, b in base], masks)
    if k > 0:
        for t, (strategy, seed) in enumerate(cfg.tickets()):
            if strategy == "reinit":
                fresh = reinit_start(cfg, seed, k, mask_of(masks, t))
                for (w, b), (fw, fb) in zip(start, fresh):
                    w[t] = fw
                    b[t] = fb
    return start


def score(cfg, k: int, masks: Mask, recon: torch.Tensor, target, seconds: float) -> list[dict]:
    """One record per ticket of round ``k``: remaining fraction, alive count, PSNR, HFE, loss.
    ``recon`` is ``[T, N, C]`` on the CPU, ``target`` a :class:`lthsiren.data.Target`."""
    n_weights = sum(m[0].numel() for m in masks)
    records = []
    for t, (strategy, seed) in enumerate(cfg.tickets()):
        img = recon[t].reshape(cfg.side, cfg.side, 3)
        alive = sum(int(m[t].sum()) for m in masks)
        records.append(
            {
                "round": k,
                "ticket": TICKET_NAMES[strategy],
                "strategy": strategy,
                "seed": seed,
                "remaining": alive / n_weights,
                "alive": alive,
                "psnr": psnr(img, target.pixels),
                "hfe": hfe(img, target.pixels),
                "loss": float(torch.mean((recon[t] - target.flat()) ** 2)),
                "seconds": seconds,
            }
        )
    return records


def make_trainer(cfg, target, device: torch.device) -> TicketTrainer:
    """The batched engine for ``cfg``'s network on ``target``, on ``device``."""
    from ..data import coordinate_grid

    inputs = network_inputs(cfg, coordinate_grid(cfg.side).to(device))
    scale = forward_scale(cfg)
    return TicketTrainer(inputs, target.flat().to(device), scale, activation=activation(cfg))


def shared_round_0(cfg) -> list[int]:
    """For each ticket, the first ticket of its seed. In round 0 every ticket of a seed starts
    from the same ``theta0`` under the same full mask, so one of them is trained for all."""
    first: dict[int, int] = {}
    return [first.setdefault(seed, t) for t, (_, seed) in enumerate(cfg.tickets())]


def train_tickets(
    trainer: TicketTrainer,
    plan: RoundPlan,
    starts: list[TicketParams],
    masks: list[Mask],
    structure_aware: bool = True,
    on_step: Callable[[int], None] | None = None,
) -> tuple[list[TicketParams], list[TicketParams] | None]:
    """Train the tickets ``starts`` (one ``[(W, b), ...]`` each, under ``masks``) together as
    ``plan`` says: (trained weights, the weights after the plan's snapshot step or None).

    ``structure_aware`` trains each ticket narrowed to the neurons that still reach the output
    (:mod:`lthsiren.network.compaction`); the results equal dense training up to float rounding.
    """
    keeps = [live_neurons(m) if structure_aware else None for m in masks]
    narrowed = [
        (p, m) if keep is None or is_whole(keep, m) else narrow(p, m, keep)
        for p, m, keep in zip(starts, masks, keeps)
    ]
    out, snap = trainer.fit_tickets(
        [p for p, _ in narrowed],
        [m for _, m in narrowed],
        plan.steps,
        plan.lr,
        on_step,
        plan.snapshot_step,
        plan.batches,
        schedule=plan.schedule,
    )

    def full(params_list):
        return [
            p if keep is None or is_whole(keep, m) else widen(p, s, keep)
            for p, s, m, keep in zip(params_list, starts, masks, keeps)
        ]

    return full(out), None if snap is None else full(snap)


def train_round(
    cfg,
    trainer: TicketTrainer,
    k: int,
    start: BatchedParams,
    masks: Mask,
    structure_aware: bool = True,
    on_step: Callable[[int], None] | None = None,
) -> tuple[BatchedParams, torch.Tensor, BatchedParams | None]:
    """Train every ticket one round from ``start`` under ``masks`` as round ``k``'s plan says
    (:func:`lthsiren.training.plan.plan_round`): (trained weights, reconstructions ``[T, N, C]``,
    the weights after the plan's snapshot step, i.e. ``theta_late`` in round 0 of a ``step:K`` run,
    or None).

    ``structure_aware`` trains each seed's round 0 once and each ticket narrowed
    (:func:`train_tickets`). Without it every ticket trains dense, every weight paid for.
    """
    T = len(cfg.tickets())
    source = shared_round_0(cfg) if structure_aware and k == 0 else list(range(T))
    trained_ids = sorted(set(source))
    trained, snap = train_tickets(
        trainer,
        plan_round(cfg, k),
        [unstack(start, t) for t in trained_ids],
        [mask_of(masks, t) for t in trained_ids],
        structure_aware,
        on_step,
    )
    recon = trainer.predict()
    at = [trained_ids.index(t) for t in source]
    snapshot = None if snap is None else stack([snap[i] for i in at])
    return stack([trained[i] for i in at]), recon[at], snapshot


@dataclass
class RoundResult:
    """What one round produced: the masks it trained under, the trained weights (CPU), the
    reconstructions ``[T, N, C]`` (CPU), one record per ticket, and, after round 0 of a late-
    rewinding run, the weights to rewind to (``theta_late``)."""

    round: int
    masks: Mask
    trained: BatchedParams
    recon: torch.Tensor
    records: list[dict]
    theta_late: BatchedParams | None = None


def imp_rounds(
    cfg,
    target,
    theta0: BatchedParams,
    start: int = 0,
    end: int | None = None,
    masks: Mask | None = None,
    trained: BatchedParams | None = None,
    theta_late: BatchedParams | None = None,
    device: torch.device | str = "cpu",
    on_step: Callable[[int], None] | None = None,
    structure_aware: bool = True,
) -> Iterator[RoundResult]:
    """Run rounds ``start`` to ``end - 1`` (default: ``cfg.rounds``) and yield each one's result.

    From round 0 nothing else is needed; to resume at round ``start > 0``, pass the ``masks``
    that round trains under, the previous round's ``trained`` weights (for ``lr-rewind``,
    ``continue`` and ``rewind_until``) and, for ``step:K`` rewinding, ``theta_late``.
    """
    device = torch.device(device)
    end = cfg.rounds if end is None else end
    masks = initial_masks(cfg, theta0) if masks is None else masks
    trainer = make_trainer(cfg, target, device)
    for k in range(start, end):
        masks_dev = [m.to(device) for m in masks]
        t0 = time.perf_counter()
        weights = round_start(cfg, k, masks_dev, theta0, theta_late, trained)
        out, recon, snapshot = train_round(
            cfg, trainer, k, weights, masks_dev, structure_aware, on_step
        )
        if snapshot is not None:
            theta_late = [(w.cpu(), b.cpu()) for w, b in snapshot]
        recon = recon.cpu()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        trained = [(w.cpu(), b.cpu()) for w, b in out]
        records = score(cfg, k, masks, recon, target, seconds)
        yield RoundResult(k, masks, trained, recon, records, theta_late if snapshot else None)
        if k + 1 < cfg.rounds:
            masks = next_masks(cfg, trained, masks, k)
