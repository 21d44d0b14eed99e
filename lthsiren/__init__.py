"""lthsiren: the Lottery Ticket Hypothesis in a SIREN fitted to one image.

The few names a notebook needs are re-exported here; each lives in a small module of its own.
"""

__version__ = "0.1.0"

from . import (  # noqa: E402
    architectures,
    baselines,
    compact,
    compress,
    controls,
    probe,
    ratedistortion,
    spectra,
    transfer,
)
from .config import PRESETS, Config, describe, make_config  # noqa: E402
from .data import coordinate_grid, load_image  # noqa: E402
from .errors import LthsirenError  # noqa: E402
from .experiment import run_experiment  # noqa: E402
from .explorer import SparsityExplorer, explorer_figure  # noqa: E402
from .metrics import hfe, log_spectrum, psnr  # noqa: E402
from .pruning import STRATEGIES, TICKET_NAMES, prune_step, remaining_fraction, rewind  # noqa: E402
from .siren import Siren, init_params, parameter_count  # noqa: E402
from .store import RunDir  # noqa: E402
from .train import TicketTrainer  # noqa: E402

__all__ = [
    "architectures",
    "baselines",
    "compact",
    "compress",
    "controls",
    "probe",
    "ratedistortion",
    "spectra",
    "transfer",
    "PRESETS",
    "STRATEGIES",
    "TICKET_NAMES",
    "Config",
    "LthsirenError",
    "RunDir",
    "Siren",
    "SparsityExplorer",
    "TicketTrainer",
    "coordinate_grid",
    "describe",
    "explorer_figure",
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
]
