"""What round ``k`` of an experiment starts from and how it trains, decided in one place.

:func:`plan_round` reads the settings (``rewind``, ``rewind_until``, ``lr``, ``steps``,
``batch``; :mod:`lthsiren.training.rewinding` says what each rewind mode means) and returns a
:class:`RoundPlan`. Everything that trains a round asks it: the IMP loop
(:func:`lthsiren.training.imp.round_start`, :func:`lthsiren.training.imp.train_round`,
:func:`lthsiren.training.imp.imp_rounds`), resume (:mod:`lthsiren.experiment`) and ticket transfer
(:mod:`lthsiren.chapters.transfer`), so a ticket trained outside the loop trains exactly as the
loop's own tickets of that round did.

A round starts from one of three weights, each masked by the round's mask:

- :data:`THETA0`: the step-0 weights (round 0 always; every round of ``init``);
- :data:`THETA_LATE`: the weights after K steps (epochs, with ``--batch``) of round 0, for
  ``step:K``; round 0 of such a run takes that snapshot (``snapshot_step``);
- :data:`TRAINED`: the previous round's trained weights, for ``lr-rewind``, ``continue`` and
  every round after ``rewind_until``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .minibatch import MiniBatches, for_round
from .rewinding import CONTINUE_LR_FACTOR

THETA0, THETA_LATE, TRAINED = "theta0", "theta_late", "trained"


@dataclass(frozen=True)
class RoundPlan:
    """How round ``round`` trains: its ``start`` weights (:data:`THETA0`, :data:`THETA_LATE` or
    :data:`TRAINED`), ``steps`` steps (epochs with mini-batches) under ``schedule`` ("cosine"
    from ``lr`` to 0, or "constant" at ``lr``), on ``batches`` (None: full batch; the same rows
    for every ticket trained together, and a plan's generator advances as it trains, so make a
    fresh plan for each training), and the step whose weights to keep (``snapshot_step``)."""

    round: int
    start: str
    schedule: str
    lr: float
    steps: int
    batches: MiniBatches | None
    snapshot_step: int | None

    def start_weights(self, theta0, theta_late=None, trained=None):
        """The one of ``theta0``, ``theta_late`` and ``trained`` this round starts from."""
        chosen = {THETA0: theta0, THETA_LATE: theta_late, TRAINED: trained}[self.start]
        if chosen is None:
            raise ValueError(f"round {self.round} starts from {self.start}, which was not given")
        return chosen


def plan_round(cfg, k: int) -> RoundPlan:
    """The :class:`RoundPlan` of round ``k`` under the (checked) settings ``cfg``."""
    rewind = cfg.rewinding
    past_until = rewind.until is not None and k > rewind.until
    if k == 0:  # the dense net, from theta0, under every mode
        start = THETA0
    elif past_until or rewind.mode in ("lr-rewind", "continue"):
        start = TRAINED
    else:
        start = THETA_LATE if rewind.mode == "step" else THETA0
    if k > 0 and rewind.mode == "continue" and not past_until:
        schedule, lr = "constant", cfg.lr * CONTINUE_LR_FACTOR
    else:
        schedule, lr = "cosine", cfg.lr
    snapshot = rewind.step if k == 0 else None
    return RoundPlan(k, start, schedule, lr, cfg.steps, for_round(cfg, k), snapshot)
