"""Global magnitude pruning, rewinding and the controls: the lottery-ticket machinery of Frankle &
Carbin, "The Lottery Ticket Hypothesis" (ICLR 2019), iterative magnitude pruning (IMP) with
rewinding to step 0.

Each round removes a fraction of the weights that are still *alive*, ranked globally across
layers, so already-pruned zeros never enter the ranking. Three strategies (:mod:`lthsiren.ticket`
names them): ``smallest`` (IMP: the winning ticket), ``random`` (the control), ``largest``
("anti-IMP": the losing ticket). ``torch.nn.utils.prune`` has no "largest" method; here every
strategy computes its mask by hand. Notebook 03 walks through one round.

The controls that ask whether a winning ticket's initial values matter, or only its mask
(SPEC claim 4; notebook 06):

- **Random re-initialisation** (Frankle & Carbin's "reinit"): a ``reinit`` ticket takes the
  winner's mask every round, but its survivors are drawn afresh from the network's own init
  distribution instead of being rewound to ``theta0``. Each (seed, round) has its own draw, a
  function of those two numbers only, so a resumed run draws the same weights.
- **Late rewinding** (Frankle et al., ICML 2020): survivors go back to their values after K steps
  of round 0 rather than step 0: ``Config(rewind="step:K")``, handled by :mod:`lthsiren.imp`.
"""

from __future__ import annotations

import torch

from .errors import LthsirenError
from .model import init_network
from .ticket import STRATEGIES, Mask, TicketParams

REINIT_SEED_OFFSET = 2_000_003
RANDOM_SEED_OFFSET = 1_000_003


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
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


def rewind(theta0: TicketParams, mask: Mask) -> TicketParams:
    """``theta <- mask * theta0``: every surviving weight back to its exact step-0 value, pruned
    weights to exactly 0, biases (never pruned) back to theirs."""
    # torch.where, not w0 * m: a product leaves -0.0 where a negative weight was pruned
    return [
        (torch.where(m.bool(), w0, torch.zeros_like(w0)), b0.clone())
        for (w0, b0), m in zip(theta0, mask, strict=True)
    ]


def prune_generator(seed: int, round_index: int) -> torch.Generator:
    """The random strategy's RNG, a function of (seed, round) only, so a resumed run draws the
    same masks as an uninterrupted one."""
    return torch.Generator().manual_seed(RANDOM_SEED_OFFSET * (seed + 1) + round_index)


def reinit_seed(seed: int, round_index: int) -> int:
    """Seed of the fresh draw a ``reinit`` ticket of ``seed`` trains from in ``round_index``:
    never the seed of any ``theta0`` of a run with fewer than two million seeds."""
    return REINIT_SEED_OFFSET * (seed + 1) + round_index


def reinit_start(cfg, seed: int, round_index: int, mask: Mask) -> TicketParams:
    """The ``reinit`` ticket's starting point: a fresh draw with the winner's ``mask`` applied
    (pruned weights exactly 0)."""
    fresh = init_network(cfg, reinit_seed(seed, round_index))
    device = mask[0].device
    return rewind([(w.to(device), b.to(device)) for w, b in fresh], mask)
