"""One run folder as it is shown: the view the web page (:mod:`lthsiren.webpage`) and the
notebooks' sparsity explorer (:mod:`lthsiren.chapters.explorer`) both read.

Only complete rounds are shown (:meth:`lthsiren.store.RunDir.completed_rounds`): an interrupted
run shows the rounds it finished. Rounds are numbered as they are stored, ``k = 0 ..
cfg.rounds - 1`` with round 0 the dense network, so a view says "round k of N" with N the last
round's number (:meth:`RunView.round_text`); layers are numbered from 1, the input layer, in
every text. The per-layer alive counts come from the masks each round was trained under, read
once per round.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import LthsirenError, no_complete_round
from ..network.ticket import alive_per_layer, mask_of, ticket_index
from ..report import TICKET_ORDER
from .rundir import RunDir, complete_round_records


def pct_label(p: float) -> str:
    """A percentage with one decimal, two below 1%."""
    return f"{p:.1f}%" if p >= 1 else f"{p:.2f}%"


class RunView:
    """The complete rounds of one run folder: settings, records, pictures and masks."""

    def __init__(self, run: RunDir | str | os.PathLike):
        if not isinstance(run, (RunDir, str, os.PathLike)):
            raise TypeError(
                f"expected a RunDir or the path of a run folder, got {type(run).__name__}"
            )
        self.run = run if isinstance(run, RunDir) else RunDir(run)
        self.cfg = self.run.config()  # a clear error if this is not a run
        done = self.run.completed_rounds()
        if done == 0:
            raise no_complete_round(self.run.path)
        by_round = complete_round_records(self.run.records(), self.cfg.tickets())[:done]
        self.rounds = list(range(done))
        self.last_round = self.cfg.rounds - 1  # of the run as set up, finished or not
        self.records = [r for round_records in by_round for r in round_records]
        self.seeds = sorted({r["seed"] for r in self.records})
        self.tickets = [t for t in TICKET_ORDER if any(r["ticket"] == t for r in by_round[0])]
        # every ticket prunes the same count, so any record of a round gives these
        self.remaining = {k: rs[0]["remaining"] for k, rs in enumerate(by_round)}
        self.alive = {k: rs[0]["alive"] for k, rs in enumerate(by_round)}
        self.n_weights = round(self.alive[0] / self.remaining[0])  # round 0 is the dense net
        self._by = {(r["round"], r["ticket"], r["seed"]): r for r in self.records}
        self._masks: dict[int, list[torch.Tensor]] = {}

    @property
    def interrupted(self) -> bool:
        """Whether fewer rounds are complete than the settings ask for."""
        return len(self.rounds) < self.cfg.rounds

    # -- checks ---------------------------------------------------------------------------
    def check_seed(self, seed: int | None) -> int:
        """``seed``, checked; None: seed 0 where the run has it, else its first."""
        if seed is None:
            return 0 if 0 in self.seeds else self.seeds[0]
        if int(seed) not in self.seeds:
            raise LthsirenError(
                f"seed {seed} is not in {self.run.path}: its seeds are {self.seeds}"
            )
        return int(seed)

    def check_round(self, k: int | None) -> int:
        """``k``, checked; None: round 2 (64% remaining), or the last complete one before it."""
        if k is None:
            return min(2, self.rounds[-1])
        if int(k) not in self.rounds:
            raise LthsirenError(
                f"round {k} is not available in {self.run.path}: completed rounds are "
                f"0..{self.rounds[-1]}"
            )
        return int(k)

    # -- numbers and words ------------------------------------------------------------------
    def record(self, k: int, ticket: str, seed: int) -> dict:
        return self._by[(k, ticket, seed)]

    def pct(self, k: int) -> float:
        """Weights remaining in round ``k``, in percent."""
        return 100.0 * self.remaining[k]

    def round_text(self, k: int) -> str:
        """``"round k of N"``, N the number of the run's last round."""
        return f"round {k} of {self.last_round}"

    def remaining_text(self, k: int) -> str:
        """``"x% of the weights remain (alive of all)"``."""
        return (
            f"{pct_label(self.pct(k))} of the weights remain ({self.alive[k]:,} of "
            f"{self.n_weights:,})"
        )

    # -- masks --------------------------------------------------------------------------------
    def masks(self, k: int) -> list[torch.Tensor]:
        """Round ``k``'s masks, batched over tickets (read once)."""
        if k not in self._masks:
            self._masks[k] = self.run.round_state(k)[0]
        return self._masks[k]

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(inputs, outputs) of each layer, layer 1 (the input layer) first."""
        return [(int(m.shape[2]), int(m.shape[1])) for m in self.masks(0)]

    def layer_labels(self) -> list[str]:
        """``"layer i (inputs→outputs)"`` per layer, layer 1 (the input layer) first: the
        Linear-layer numbering of docs/glossary.md, in the page and the widget alike."""
        return [
            f"layer {i} ({n_in}→{n_out})" for i, (n_in, n_out) in enumerate(self.layer_shapes(), 1)
        ]

    def alive_per_layer(self, k: int, ticket: str, seed: int) -> list[int]:
        """How many weights of each layer ``ticket`` of ``seed`` was trained with in round
        ``k``, from the round's stored masks."""
        return alive_per_layer(mask_of(self.masks(k), ticket_index(self.cfg, ticket, seed)))

    # -- pictures -------------------------------------------------------------------------
    def image_path(self, k: int, ticket: str, seed: int) -> Path:
        return self.run.image_path(k, ticket, seed)

    def target_path(self) -> Path:
        return self.run.path / "images" / "target.png"
