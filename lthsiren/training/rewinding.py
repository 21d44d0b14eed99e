"""Where each round of iterative magnitude pruning starts, and at what learning rate: the
``rewind`` and ``rewind_until`` settings, what they mean and how they are checked
(:func:`lthsiren.training.plan.plan_round` turns them into each round's plan).

``rewind`` says what the survivors of a pruned round start from:

- ``init`` (the protocol, Frankle & Carbin 2019): their step-0 values, full cosine schedule.
- ``step:K`` (late rewinding, Frankle et al. 2020): their values after K steps of round 0.
- ``lr-rewind`` (learning-rate rewinding, Renda et al. 2020): no weight reset; the pruned trained
  weights of the previous round train on under the full cosine schedule again. It was called
  ``finetune`` before; that name is still accepted and gives the same runs (same run keys).
- ``continue`` (fine-tuning, Renda et al. 2020): no weight reset; the pruned trained weights
  train on at a constant learning rate of ``lr * CONTINUE_LR_FACTOR``. Renda et al. fine-tune at
  the final learning rate of the original schedule; our cosine schedule ends at 0, so we use
  lr/10.

Round 0 trains the dense net from ``theta0`` with the cosine schedule under every mode, and every
round starts a fresh Adam (:class:`lthsiren.training.engine.TicketTrainer`). ``rewind_until=K``
(default None: always as ``rewind`` says) limits the rewinding to rounds ``k <= K``: every later
round starts from the previous round's trained weights, masked, with the full cosine schedule, as
the reference implementation did when it resumed a run by reloading its trained weights.

The names and the check live with the settings (:func:`lthsiren.settings.parse_rewind`, which a
Config runs when it is built and keeps as ``cfg.rewinding``); they are re-exported here.
"""

from __future__ import annotations

from ..settings import ALIASES, CARRY_ON, KEY_NAMES, Rewind, parse_rewind  # noqa: F401

# The constant learning rate of ``continue`` rounds, as a share of ``lr``.
CONTINUE_LR_FACTOR = 0.1
ALIAS_NOTES = {
    "finetune": "--rewind finetune is now called lr-rewind (same runs, same results); true "
    "fine-tuning, at a constant learning rate of lr/10, is the new --rewind continue",
}
