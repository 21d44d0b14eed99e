"""Mini-batch training (``--batch N``): what the engine needs to train on shuffled subsets of the
pixels instead of the whole image at every step.

The protocol trains full batch: one Adam step per step, on every pixel. The published reference
implementation, read from its code history (docs/reference.md), did not: its data loader shuffled
the pixels every epoch and cut them into mini-batches (8,192 or 16,384 pixels, so 8 or 4 Adam
steps per epoch at 256x256), with a cosine schedule that advanced once per epoch. This module
follows that loader so our engine can train the same way:

- each of a round's ``steps`` is one **epoch**: a fresh permutation of the P pixels, cut into
  ``ceil(P / N)`` mini-batches of N pixels, the last one keeping the remainder (it may be smaller;
  it is not dropped, as a data loader keeps it by default); one Adam step per mini-batch, whose
  loss is the mean squared error over that mini-batch's own pixels;
- the learning rate follows the cosine schedule over epochs and stays constant within one; Adam's
  bias correction counts Adam steps (mini-batches), not epochs;
- the permutations come from one generator per round, seeded by the run's first seed and the
  round (:func:`batch_generator`): a resumed run draws the same batches, and every ticket trained
  together sees the same pixels at every step;
- late rewinding's ``step:K`` counts epochs: it rewinds to the weights after K epochs of round 0;
- when one mini-batch covers the image (``N >= P``) nothing is shuffled: the step is the
  full-batch step, bit for bit.

Evaluation (reconstructions, PSNR) always uses the whole image.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch

BATCH_SEED_OFFSET = 4_000_037  # apart from the pruning module's offsets


def batch_generator(seed: int, round_index: int) -> torch.Generator:
    """The generator of round ``round_index``'s pixel permutations: a function of (seed, round)
    only, so a resumed run shuffles as an uninterrupted one."""
    from ..seeds import derived_generator

    return derived_generator(BATCH_SEED_OFFSET, seed, round_index)


def batches_per_epoch(n_pixels: int, batch: int | None) -> int:
    """Adam steps in one epoch: ``ceil(n_pixels / batch)``, 1 for full batch."""
    return 1 if batch is None else math.ceil(n_pixels / batch)


@dataclass
class MiniBatches:
    """Mini-batches of ``size`` pixels, shuffled by ``generator`` once per epoch."""

    size: int
    generator: torch.Generator

    def epoch(self, n_pixels: int, device: torch.device) -> Iterator[torch.Tensor | None]:
        """The rows of each mini-batch of one epoch (``None``: all pixels, in order)."""
        if self.size >= n_pixels:
            yield None
            return
        perm = torch.randperm(n_pixels, generator=self.generator).to(device)
        yield from perm.split(self.size)


def for_round(cfg, round_index: int) -> MiniBatches | None:
    """Round ``round_index``'s mini-batches under ``cfg`` (None: full batch)."""
    if getattr(cfg, "batch", None) is None:
        return None
    return MiniBatches(cfg.batch, batch_generator(cfg.seeds[0], round_index))


def epoch_rows(batches: MiniBatches | None, n_pixels: int, device) -> Iterator:
    """The mini-batches of one epoch, or a single ``None`` (the whole image) without batches."""
    return iter((None,)) if batches is None else batches.epoch(n_pixels, device)
