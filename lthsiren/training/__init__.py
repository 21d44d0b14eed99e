"""Training the tickets: one round of iterative magnitude pruning, and what it costs.

The second floor of the core, built on :mod:`lthsiren.network`. :mod:`~lthsiren.training.imp`
is the round loop of Frankle & Carbin (2019): rewind, train, score, prune, with no files and no
progress bars. :mod:`~lthsiren.training.plan` decides what each round starts from and how it
trains, reading the rewind modes :mod:`~lthsiren.training.rewinding` defines (rewinding to step 0,
late rewinding of Frankle et al. 2020, learning-rate rewinding and fine-tuning of Renda et al.
2020). :mod:`~lthsiren.training.engine` trains every ticket of an experiment side by side on flat
buffers (:mod:`~lthsiren.training.buffers`), full batch or in the reference implementation's
mini-batches (:mod:`~lthsiren.training.minibatch`); :mod:`~lthsiren.training.budget` estimates a
run's memory and work before it starts. As in OpenLTH's ``training`` folder, nothing here reads
or writes a run folder: the store (:mod:`lthsiren.store`) sits on top.

The names a notebook driving the loop itself needs are re-exported here.
"""

from .engine import TicketTrainer
from .imp import imp_rounds, initial_params, make_trainer, next_masks, train_round
from .plan import RoundPlan, plan_round

__all__ = [
    "RoundPlan",
    "TicketTrainer",
    "imp_rounds",
    "initial_params",
    "make_trainer",
    "next_masks",
    "plan_round",
    "train_round",
]
