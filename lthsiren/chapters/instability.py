"""Linear-path instability of a ticket: does training from it end in one basin, whatever the
order of the data?

Frankle, Dziugaite, Roy & Carbin, "Linear Mode Connectivity and the Lottery Ticket Hypothesis"
(ICML 2020): train two copies of a network from the same start under the same settings but with
different mini-batch orders, then walk the straight line between the two results,
``theta(a) = (1 - a) theta_1 + a theta_2``. If the loss never rises above the endpoints' along
the line, the copies are *linearly mode connected*: training from that start is stable to SGD
noise. Their **error barrier** is the largest rise, ``max_a loss(a) - (loss(0) + loss(1)) / 2``.
They found that IMP finds matching sparse subnetworks exactly when training from the rewind
point is stable, which is why rewinding to step K > 0 helps where rewinding to step 0 fails.

Here the loss is the training loss itself, the mean squared error over every pixel and channel
(unclamped, on the network's [-1, 1] scale, as the records' ``loss``), and the barrier is also
given in dB: how far the worst point of the path falls below the endpoints' mean PSNR. Every
point of the path carries the ticket's mask (both copies keep it, so pruned weights are 0 all
along the line).

Only the order of the pixels differs between the copies: each draws its epochs' permutations
from its own generator (:func:`lthsiren.training.minibatch.batch_generator` of an "order"
number and the round), and everything else is the round's own plan
(:func:`lthsiren.training.plan.plan_round`) on the package's trainer
(:func:`lthsiren.training.imp.train_tickets`). With full batch there is no order: the two copies
are the same network and the barrier is exactly 0. Order ``cfg.seeds[0]`` draws the
very batches the run itself trained round ``k`` on.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

import torch

from ..metrics import psnr
from ..network.pruning import rewind
from ..network.ticket import Mask, TicketParams, mask_of, stack, ticket_index, unstack
from ..training.engine import TicketTrainer
from ..training.imp import make_trainer, round_start, train_tickets
from ..training.minibatch import MiniBatches, batch_generator
from ..training.plan import THETA_LATE, TRAINED, plan_round


@dataclass(frozen=True)
class LinearPath:
    """The loss along ``theta(a)`` at each ``a`` of ``alphas`` (0 is the first copy, 1 the
    second): MSE and PSNR on the whole image, the barrier in both (:func:`linear_path`), and the
    two endpoints' PSNR."""

    alphas: list[float]
    losses: list[float]
    psnrs: list[float]
    barrier_mse: float
    barrier_db: float
    endpoint_psnrs: tuple[float, float]


def path_point(first: TicketParams, second: TicketParams, mask: Mask, alpha: float):
    """``(1 - alpha) first + alpha second``, masked. ``torch.lerp`` returns each endpoint exactly
    at 0 and 1, and ``first`` itself wherever the two are equal, so a path between identical
    networks is one point, bit for bit."""
    line = [
        (torch.lerp(w1, w2, alpha), torch.lerp(b1, b2, alpha))
        for (w1, b1), (w2, b2) in zip(first, second, strict=True)
    ]
    return rewind(line, mask)


def linear_path(
    trainer: TicketTrainer, first: TicketParams, second: TicketParams, mask: Mask, alphas=21
) -> LinearPath:
    """Evaluate ``theta(a)`` between two networks of the same shape on ``trainer``'s image, at
    ``alphas`` (a count of evenly spaced points from 0 to 1, or the values themselves, which
    should include 0 and 1). The barrier follows Frankle et al.: the largest loss on the path
    minus the mean of the endpoints' losses; in dB, the endpoints' mean PSNR minus the lowest
    PSNR on the path. Neither is below 0 when the endpoints are on the path."""
    grid = torch.linspace(0.0, 1.0, alphas).tolist() if isinstance(alphas, int) else list(alphas)
    device = trainer.coords.device
    first, second = ([(w.to(device), b.to(device)) for w, b in p] for p in (first, second))
    mask = [m.to(device) for m in mask]
    points = stack([path_point(first, second, mask, a) for a in grid])
    recon = trainer.predict(points).cpu()
    target = trainer.target.cpu()
    losses = [float(torch.mean((r - target) ** 2)) for r in recon]
    psnrs = [psnr(r, target) for r in recon]
    ends = [grid.index(a) for a in (0.0, 1.0) if a in grid]
    if len(ends) != 2:
        raise ValueError("the path needs both endpoints: alphas must include 0 and 1")
    mean_loss = statistics.fmean(losses[i] for i in ends)
    mean_psnr = statistics.fmean(psnrs[i] for i in ends)
    return LinearPath(
        grid,
        losses,
        psnrs,
        max(losses) - mean_loss,
        mean_psnr - min(psnrs),
        (psnrs[ends[0]], psnrs[ends[1]]),
    )


def train_copies(
    cfg,
    trainer: TicketTrainer,
    start: TicketParams,
    mask: Mask,
    round_index: int = 1,
    orders: tuple[int, int] = (0, 1),
    batch: int | None = None,
) -> list[TicketParams]:
    """Train one copy of ``start`` under ``mask`` per entry of ``orders``, each as round
    ``round_index`` of ``cfg`` trains (schedule, learning rate, steps), on mini-batches of
    ``batch`` pixels (default ``cfg.batch``; None: full batch) drawn in the order that
    ``batch_generator(order, round_index)`` shuffles."""
    copies = train_copies_of_many(cfg, trainer, [start], [mask], round_index, orders, batch)
    return [per_order[0] for per_order in copies]


def train_copies_of_many(
    cfg,
    trainer: TicketTrainer,
    starts: list[TicketParams],
    masks: list[Mask],
    round_index: int = 1,
    orders: tuple[int, int] = (0, 1),
    batch: int | None = None,
) -> list[list[TicketParams]]:
    """:func:`train_copies` of several starts at once: for each order, every start trained
    together in one batch of tickets (they all see that order's pixels, as the tickets of one
    run do). Returns, per order, the trained copy of each start."""
    plan = plan_round(cfg, round_index)
    size = batch if batch is not None else cfg.batch
    device = trainer.coords.device
    masks = [[m.to(device) for m in mask] for mask in masks]
    starts = [
        rewind([(w.to(device), b.to(device)) for w, b in start], mask)
        for start, mask in zip(starts, masks, strict=True)
    ]
    copies = []
    for order in orders:
        batches = None if size is None else MiniBatches(size, batch_generator(order, round_index))
        trained, _ = train_tickets(
            trainer, replace(plan, batches=batches, snapshot_step=None), starts, masks
        )
        copies.append(trained)
    return copies


def ticket_start(run, k: int, ticket: str = "winner", seed: int | None = None):
    """(start weights, mask) of one ticket of a stored run in round ``k``: the weights its round
    rewinds to (``theta0``, ``theta_late`` or the previous round's, as the plan says), masked,
    and the mask it trains under."""
    cfg = run.config()
    t = ticket_index(cfg, ticket, seed)
    plan = plan_round(cfg, k)
    masks, _ = run.round_state(k)
    theta_late = run.load_params("theta_late.pt") if plan.start == THETA_LATE else None
    trained = run.round_state(k - 1)[1] if plan.start == TRAINED else None
    start = round_start(cfg, k, masks, run.theta0(), theta_late, trained)
    return [(w.clone(), b.clone()) for w, b in unstack(start, t)], mask_of(masks, t)


def instability(
    cfg,
    target,
    start: TicketParams,
    mask: Mask,
    round_index: int = 1,
    orders: tuple[int, int] = (0, 1),
    alphas=21,
    batch: int | None = None,
    device: torch.device | str = "cpu",
) -> LinearPath:
    """Train two copies of ``start`` under ``mask`` (:func:`train_copies`) on ``target`` (a
    :class:`lthsiren.data.Target`) and measure the linear path between them
    (:func:`linear_path`)."""
    paths = instabilities(cfg, target, [start], [mask], round_index, orders, alphas, batch, device)
    return paths[0]


def instabilities(
    cfg,
    target,
    starts: list[TicketParams],
    masks: list[Mask],
    round_index: int = 1,
    orders: tuple[int, int] = (0, 1),
    alphas=21,
    batch: int | None = None,
    device: torch.device | str = "cpu",
) -> list[LinearPath]:
    """:func:`instability` of several starts, trained together (one batch of tickets per
    order): the linear path of each start's two copies."""
    trainer = make_trainer(cfg, target, torch.device(device))
    first, second = train_copies_of_many(cfg, trainer, starts, masks, round_index, orders, batch)
    return [
        linear_path(trainer, a, b, mask, alphas)
        for a, b, mask in zip(first, second, masks, strict=True)
    ]
