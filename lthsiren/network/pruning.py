"""Global magnitude pruning, rewinding and the controls: the lottery-ticket machinery of Frankle &
Carbin, "The Lottery Ticket Hypothesis" (ICLR 2019), iterative magnitude pruning (IMP) with
rewinding to step 0.

Each round removes a fraction of the weights that are still *alive*, ranked globally across
layers, so already-pruned zeros never enter the ranking. Three strategies
(:mod:`lthsiren.network.ticket` names them): ``smallest`` (IMP: the winning ticket), ``random`` (the
control), ``largest`` ("anti-IMP": the losing ticket). ``torch.nn.utils.prune`` has no "largest"
method; here every strategy computes its mask by hand. The IMP chapter walks through one round.

The controls that ask whether a winning ticket's initial values matter, or only its mask
(the write-up's claim 4; the open-questions chapter):

- **Random re-initialisation** (Frankle & Carbin's "reinit"): a ``reinit`` ticket takes the
  winner's mask every round, but its survivors are drawn afresh from the network's own init
  distribution instead of being rewound to ``theta0``. Each (seed, round) has its own draw, a
  function of those two numbers only, so a resumed run draws the same weights.
- **Late rewinding** (Frankle et al., ICML 2020): survivors go back to their values after K steps
  of round 0 rather than step 0: ``Config(rewind="step:K")``, handled by
  :mod:`lthsiren.training.imp`.
"""

from __future__ import annotations

import torch

from ..errors import LthsirenError
from ..seeds import derived_generator, derived_seed
from .model import init_network
from .ticket import SCOPED_STRATEGIES, STRATEGIES, Mask, TicketParams

REINIT_SEED_OFFSET = 2_000_003
RANDOM_SEED_OFFSET = 1_000_003
BUDGET_SEED_OFFSET = 3_000_017
PRUNING_RULES = STRATEGIES + SCOPED_STRATEGIES


def check_strategy(strategy: str) -> str:
    if strategy not in PRUNING_RULES:
        raise LthsirenError(
            f"unknown strategy {strategy!r}: choose from {', '.join(PRUNING_RULES)}"
        )
    return strategy


def _groups(strategy: str, n_layers: int) -> list[list[int]]:
    """The layers ranked together: all of them (global), each alone, or all but the first."""
    if strategy.endswith("-layer"):
        return [[l] for l in range(n_layers)]
    if strategy.endswith("-not-first"):
        return [list(range(1, n_layers))]
    return [list(range(n_layers))]


def prune_step(
    weights: list[torch.Tensor],
    mask: list[torch.Tensor],
    strategy: str,
    fraction: float = 0.2,
    generator: torch.Generator | None = None,
) -> list[torch.Tensor]:
    """One pruning step for one network: the new mask.

    Removes ``round(fraction * alive)`` of the alive weights, chosen by ``strategy`` among the
    alive weights of all layers together (``smallest``, ``random``, ``largest``), of each layer
    on its own (``*-layer``: the count is per layer) or of every layer but the first
    (``largest-not-first``). ``weights`` are the trained weights (nn.Linear layout), ``mask`` the
    current one; ``generator`` drives the ``random`` strategy.
    """
    check_strategy(strategy)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"prune fraction must be in (0, 1), got {fraction}")
    out = [m.reshape(-1).bool().cpu().clone() for m in mask]
    for group in _groups(strategy, len(mask)):
        flat_w = torch.cat([weights[l].detach().reshape(-1).float().cpu() for l in group])
        flat_m = torch.cat([out[l] for l in group])
        alive = flat_m.nonzero().squeeze(1)
        n_remove = int(round(fraction * alive.numel()))
        if n_remove == 0:
            continue
        if strategy == "random":
            pick = torch.randperm(alive.numel(), generator=generator)[:n_remove]
        else:
            # Rank only the alive weights: pruned zeros would otherwise win every "smallest".
            magnitude = flat_w[alive].abs()
            largest = strategy.startswith("largest")
            pick = torch.topk(magnitude, n_remove, largest=largest, sorted=False).indices
        flat_m[alive[pick]] = False
        off = 0
        for l in group:
            out[l] = flat_m[off : off + out[l].numel()]
            off += out[l].numel()
    return [o.view(m.shape).to(m.device) for o, m in zip(out, mask)]


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
    return derived_generator(RANDOM_SEED_OFFSET, seed, round_index)


def reinit_seed(seed: int, round_index: int) -> int:
    """Seed of the fresh draw a ``reinit`` ticket of ``seed`` trains from in ``round_index``:
    never the seed of any ``theta0`` of a run with fewer than two million seeds."""
    return derived_seed(REINIT_SEED_OFFSET, seed, round_index)


def reinit_start(cfg, seed: int, round_index: int, mask: Mask) -> TicketParams:
    """The ``reinit`` ticket's starting point: a fresh draw with the winner's ``mask`` applied
    (pruned weights exactly 0)."""
    fresh = init_network(cfg, reinit_seed(seed, round_index))
    device = mask[0].device
    return rewind([(w.to(device), b.to(device)) for w, b in fresh], mask)


def budget_generator(seed: int, round_index: int) -> torch.Generator:
    """The ``budget`` control's RNG, a function of (seed, round) only (resumes draw the same)."""
    return derived_generator(BUDGET_SEED_OFFSET, seed, round_index)


def budget_mask(winner: Mask, generator: torch.Generator) -> Mask:
    """A uniformly random mask with exactly ``winner``'s alive count in every layer: the
    per-layer budget of the winning ticket without its choice of weights."""
    out = []
    for m in winner:
        keep = torch.randperm(m.numel(), generator=generator)[: int(m.sum())]
        new = torch.zeros(m.numel(), dtype=torch.bool)
        new[keep] = True
        out.append(new.view(m.shape).to(m.device))
    return out
