"""The controls of Frankle & Carbin (ICLR 2019) that ask whether a winning ticket's initial
values matter, or only its mask (SPEC claim 4). Notebook 06 runs them.

- **Random re-initialisation** (their "reinit" control): a ``reinit`` ticket takes the winning
  ticket's mask at every round (the ``smallest`` ticket of the same seed, in the same batch), but
  its surviving weights and biases are drawn afresh from the network's own init distribution
  before every round, instead of being rewound to ``theta0``. Each (seed, round) has its own draw,
  a function of those two numbers only, so a resumed run draws the same weights. Round 0 is the
  dense net and is the same for both.
- **Late rewinding** (Frankle et al., "Linear Mode Connectivity and the Lottery Ticket
  Hypothesis", ICML 2020): survivors go back to their values after ``K`` steps of round 0 rather
  than step 0. It is a run setting, ``Config(rewind="step:K")`` (:mod:`lthsiren.experiment`).
"""

from __future__ import annotations

import torch

from .architectures import init_network
from .pruning import rewind

REINIT_SEED_OFFSET = 2_000_003


def reinit_seed(seed: int, round_index: int) -> int:
    """Seed of the fresh draw a ``reinit`` ticket of ``seed`` trains from in ``round_index``:
    never the seed of any ``theta0`` of a run with fewer than two million seeds."""
    return REINIT_SEED_OFFSET * (seed + 1) + round_index


def reinit_start(cfg, seed: int, round_index: int, mask: list[torch.Tensor]):
    """The ``reinit`` ticket's starting point: a fresh draw with the winner's ``mask`` applied
    (pruned weights exactly 0)."""
    fresh = init_network(cfg, reinit_seed(seed, round_index))
    device = mask[0].device
    return rewind([(w.to(device), b.to(device)) for w, b in fresh], mask)


def winner_index(cfg, seed: int) -> int:
    """Position, in the batch, of the winning ticket a ``reinit`` ticket of ``seed`` follows."""
    return cfg.tickets().index(("smallest", seed))
