"""Tickets, their parameters and their masks: the names every other module shares.

A *ticket* is one network of an experiment: a pruning strategy and an init seed. Its parameters
are a list of ``(W [out, in], b [out])`` per Linear layer (nn.Linear layout), its mask one
boolean ``[out, in]`` per layer (biases are never pruned). The engine trains many tickets at
once, so it works on *batched* parameters, the same list with a leading ticket dimension T:
``(W [T, out, in], b [T, out])``. :func:`stack` and :func:`unstack` move between the two.

The strategies and their tickets' names (Frankle & Carbin 2019; the IMP chapter):

=============  ==========  ==================================================================
strategy       ticket      each round removes
=============  ==========  ==================================================================
``smallest``   winner      the smallest ``|w|`` (IMP)
``random``     random      a uniformly random share (the control)
``largest``    loser       the largest ``|w|`` ("anti-IMP")
``reinit``     reinit      as the winner, survivors re-drawn (a control, the open-questions chapter)
``budget``     budget      a random mask with the winner's alive count in every layer
=============  ==========  ==================================================================

and, ranking within a narrower scope: ``smallest-layer`` / ``largest-layer`` (the smallest or
largest ``|w|`` of each layer, 20% of each layer's alive weights) and ``largest-not-first``
(the largest across every layer but the first, which keeps all of its weights).
"""

from __future__ import annotations

import torch

from ..errors import LthsirenError

# the strategy names live with the settings, which check them (lthsiren.settings)
from ..settings import ALL_STRATEGIES, FOLLOWERS, SCOPED_STRATEGIES, STRATEGIES  # noqa: F401

# One ticket's parameters, and the same with a leading ticket dimension T.
TicketParams = list[tuple[torch.Tensor, torch.Tensor]]  # [(W [out, in], b [out]), ...]
BatchedParams = list[tuple[torch.Tensor, torch.Tensor]]  # [(W [T, out, in], b [T, out]), ...]
Mask = list[torch.Tensor]  # bool [out, in] per layer (batched: [T, out, in])

TICKET_NAMES = {
    "smallest": "winner",
    "random": "random",
    "largest": "loser",
    "reinit": "reinit",
    "budget": "budget",
    "smallest-layer": "winner-layer",
    "largest-layer": "loser-layer",
    "largest-not-first": "loser-not-first",
}
STRATEGY_OF = {name: strategy for strategy, name in TICKET_NAMES.items()}


# -- batched <-> per ticket ----------------------------------------------------------------------


def stack(per_ticket: list[TicketParams]) -> BatchedParams:
    """``[(W, b), ...]`` per ticket -> batched ``[(W [T, ...], b [T, ...]), ...]``."""
    return [
        (torch.stack([p[i][0] for p in per_ticket]), torch.stack([p[i][1] for p in per_ticket]))
        for i in range(len(per_ticket[0]))
    ]


def unstack(batched: BatchedParams, t: int) -> TicketParams:
    """Ticket ``t``'s ``[(W, b), ...]`` out of batched parameters (views, not copies)."""
    return [(w[t], b[t]) for w, b in batched]


def weights_of(batched: BatchedParams, t: int) -> list[torch.Tensor]:
    """Ticket ``t``'s weight matrices (what pruning ranks), without the biases."""
    return [w[t] for w, _ in batched]


def stack_masks(per_ticket: list[Mask]) -> Mask:
    """Per-ticket masks -> batched masks ``[T, out, in]`` per layer."""
    return [torch.stack([m[i] for m in per_ticket]) for i in range(len(per_ticket[0]))]


def mask_of(batched: Mask, t: int) -> Mask:
    """Ticket ``t``'s mask out of batched masks."""
    return [m[t] for m in batched]


# -- masks -----------------------------------------------------------------------------------------


def full_mask(weights: list[torch.Tensor]) -> Mask:
    """A mask that keeps every weight."""
    return [torch.ones_like(w, dtype=torch.bool) for w in weights]


def alive_per_layer(mask: Mask) -> list[int]:
    """Number of weights a mask keeps in each layer."""
    return [int(m.sum()) for m in mask]


def alive_count(mask: Mask) -> int:
    """Number of weights a mask keeps."""
    return sum(alive_per_layer(mask))


def remaining_fraction(mask: Mask) -> float:
    """Fraction of the weights a mask keeps."""
    return alive_count(mask) / sum(m.numel() for m in mask)


# -- naming tickets --------------------------------------------------------------------------------


def strategy_of(ticket: str) -> str:
    """``winner`` -> ``smallest`` (a strategy name passes through unchanged)."""
    return STRATEGY_OF.get(ticket, ticket)


def ticket_index(cfg, ticket: str = "winner", seed: int | None = None) -> int:
    """Position in ``cfg.tickets()`` (the order of the batched tensors and of a run's files) of
    a ticket named by role (winner, random, loser, reinit) or strategy, for ``seed`` (default:
    the run's first seed)."""
    strategy = strategy_of(ticket)
    seed = cfg.seeds[0] if seed is None else int(seed)
    tickets = cfg.tickets()
    if (strategy, seed) not in tickets:
        have = ", ".join(f"{TICKET_NAMES[s]} seed {n}" for s, n in tickets)
        raise LthsirenError(
            f"the run has no {ticket} ticket of seed {seed}: it holds {have} (pass one of "
            "these names to --ticket and --seed)"
        )
    return tickets.index((strategy, seed))
