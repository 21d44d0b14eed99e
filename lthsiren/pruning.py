"""Masks, global magnitude pruning and rewinding: the lottery-ticket machinery of Frankle &
Carbin, "The Lottery Ticket Hypothesis" (ICLR 2019), iterative magnitude pruning (IMP) with
rewinding to step 0.

A mask holds one 0/1 entry per Linear weight; biases are never pruned. Each round removes a
fraction of the weights that are still *alive*, ranked globally across layers, so already-pruned
zeros never enter the ranking. Three strategies:

- ``smallest``: remove the smallest ``|w|`` (IMP: the winning ticket);
- ``random``: remove a uniformly random subset (the control);
- ``largest``: remove the largest ``|w|`` ("anti-IMP": the losing ticket).

``torch.nn.utils.prune`` has no "largest" method; here every strategy computes its mask by hand.
Notebook 03 walks through one round.

A fourth ticket, ``reinit``, is a control rather than a strategy (:mod:`lthsiren.controls`): it
takes the winner's mask each round and re-draws its surviving weights (notebook 06).
"""

from __future__ import annotations

import torch

STRATEGIES = ("smallest", "random", "largest")
ALL_STRATEGIES = STRATEGIES + ("reinit",)
TICKET_NAMES = {"smallest": "winner", "random": "random", "largest": "loser", "reinit": "reinit"}


def full_mask(weights: list[torch.Tensor]) -> list[torch.Tensor]:
    """A mask that keeps every weight."""
    return [torch.ones_like(w, dtype=torch.bool) for w in weights]


def remaining_fraction(mask: list[torch.Tensor]) -> float:
    """Fraction of the weights a mask keeps."""
    alive = sum(int(m.sum()) for m in mask)
    return alive / sum(m.numel() for m in mask)


def alive_per_layer(mask: list[torch.Tensor]) -> list[int]:
    """Number of weights a mask keeps in each layer."""
    return [int(m.sum()) for m in mask]


def alive_count(mask: list[torch.Tensor]) -> int:
    """Number of weights a mask keeps."""
    return sum(alive_per_layer(mask))


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        from .errors import LthsirenError

        raise LthsirenError(f"unknown strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")
    return strategy


def prune_step(
    weights: list[torch.Tensor],
    mask: list[torch.Tensor],
    strategy: str,
    fraction: float = 0.2,
    generator: torch.Generator | None = None,
) -> list[torch.Tensor]:
    """One global pruning step for one network: the new mask.

    Removes ``round(fraction * alive)`` of the alive weights, chosen by ``strategy`` among the
    alive weights of all layers together. ``weights`` are the trained weights (nn.Linear layout),
    ``mask`` the current one; ``generator`` drives the ``random`` strategy.
    """
    check_strategy(strategy)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"prune fraction must be in (0, 1), got {fraction}")
    flat_w = torch.cat([w.detach().reshape(-1).float().cpu() for w in weights])
    flat_m = torch.cat([m.reshape(-1).bool().cpu() for m in mask])
    alive = flat_m.nonzero().squeeze(1)
    n_remove = int(round(fraction * alive.numel()))
    if n_remove == 0:
        return [m.clone().bool() for m in mask]
    if strategy == "random":
        pick = torch.randperm(alive.numel(), generator=generator)[:n_remove]
    else:
        # Rank only the alive weights: pruned zeros would otherwise win every "smallest" ranking.
        magnitude = flat_w[alive].abs()
        pick = torch.topk(
            magnitude, n_remove, largest=(strategy == "largest"), sorted=False
        ).indices
    new = flat_m.clone()
    new[alive[pick]] = False
    out, off = [], 0
    for m in mask:
        out.append(new[off : off + m.numel()].view(m.shape).to(m.device))
        off += m.numel()
    return out


def rewind(theta0, mask) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``theta <- mask * theta0``: every surviving weight back to its exact step-0 value, pruned
    weights to exactly 0, biases (never pruned) back to theirs."""
    # torch.where, not w0 * m: a product leaves -0.0 where a negative weight was pruned
    return [
        (torch.where(m.bool(), w0, torch.zeros_like(w0)), b0.clone())
        for (w0, b0), m in zip(theta0, mask, strict=True)
    ]
