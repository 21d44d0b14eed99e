"""lthsiren: the Lottery Ticket Hypothesis in a SIREN fitted to one image.

The core, what ``lthsiren run`` needs, lives in this folder, one concern per module:
:mod:`~lthsiren.config`, :mod:`~lthsiren.data`, :mod:`~lthsiren.metrics`, :mod:`~lthsiren.model`,
:mod:`~lthsiren.ticket`, :mod:`~lthsiren.pruning`, :mod:`~lthsiren.engine`, :mod:`~lthsiren.imp`,
:mod:`~lthsiren.store`, :mod:`~lthsiren.experiment`, :mod:`~lthsiren.report` and
:mod:`~lthsiren.cli`; :mod:`lthsiren.codecs` stores tickets in small files and
:mod:`lthsiren.interop` moves them to and from ``torch.nn.utils.prune``. The notebooks' own
helpers live in :mod:`lthsiren.chapters`, which the core never imports. The few names a notebook
needs most are re-exported here.
"""

from ._version import __version__
from .config import PRESETS, Config, describe, make_config
from .data import coordinate_grid, load_image
from .engine import TicketTrainer
from .errors import LthsirenError
from .experiment import run_experiment
from .metrics import hfe, log_spectrum, psnr
from .model import Siren, forward, init_params, parameter_count
from .pruning import prune_step, rewind
from .store import RunDir
from .ticket import STRATEGIES, TICKET_NAMES, remaining_fraction, ticket_index

__all__ = [
    "PRESETS",
    "STRATEGIES",
    "TICKET_NAMES",
    "Config",
    "LthsirenError",
    "RunDir",
    "Siren",
    "TicketTrainer",
    "__version__",
    "coordinate_grid",
    "describe",
    "forward",
    "hfe",
    "init_params",
    "load_image",
    "log_spectrum",
    "make_config",
    "parameter_count",
    "prune_step",
    "psnr",
    "remaining_fraction",
    "rewind",
    "run_experiment",
    "ticket_index",
]
