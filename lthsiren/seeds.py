"""Seeds derived from a run's seed and a round: every random draw after ``theta0`` (the random
pruning strategy, the ``reinit`` and ``budget`` controls, the mini-batch permutations) comes from
one, so a resumed run draws what an uninterrupted one draws.

Each use has its own large offset (``pruning.RANDOM_SEED_OFFSET`` and the others, a million or
more apart), so that no two uses and no ``theta0`` of a run with fewer seeds than the offset share
a seed.
"""

from __future__ import annotations

import torch


def derived_seed(offset: int, seed: int, round_index: int) -> int:
    """``offset * (seed + 1) + round_index``: one seed per (use, run seed, round)."""
    return offset * (seed + 1) + round_index


def derived_generator(offset: int, seed: int, round_index: int) -> torch.Generator:
    """A CPU generator seeded with :func:`derived_seed`."""
    return torch.Generator().manual_seed(derived_seed(offset, seed, round_index))
