"""lthsiren: the Lottery Ticket Hypothesis in a SIREN fitted to one image.

The core, what ``lthsiren run`` needs, lives in this folder in floors, each importing only the
ones below it: :mod:`lthsiren.network` (the networks, tickets, pruning and compaction),
:mod:`lthsiren.training` (the IMP round loop, its plan, the batched engine and the work
estimate) and :mod:`lthsiren.store` (run folders, written atomically, locked and repaired); the
settings, errors, data and metrics they share sit beside this file, and
:mod:`~lthsiren.experiment`, :mod:`~lthsiren.report` and :mod:`~lthsiren.cli` on top.
:mod:`lthsiren.codecs` stores tickets in small files and :mod:`lthsiren.interop` moves them to
and from ``torch.nn.utils.prune``. The notebooks' own helpers live in :mod:`lthsiren.chapters`,
which the core never imports. The few names a notebook needs most are re-exported here.
"""

from importlib import import_module

from ._version import __version__

# Imported on first use (PEP 562), so that ``lthsiren`` on the command line starts in
# milliseconds and a Ctrl-C while torch loads is caught by the CLI rather than shown as a
# traceback.
_EXPORTS = {
    "config": ("PRESETS", "Config", "describe", "make_config"),
    "data": ("coordinate_grid", "load_image"),
    "errors": ("LthsirenError",),
    "experiment": ("run_experiment",),
    "metrics": ("hfe", "log_spectrum", "psnr"),
    "network.model": ("Siren", "forward", "init_params", "parameter_count"),
    "network.pruning": ("prune_step", "rewind"),
    "network.ticket": ("STRATEGIES", "TICKET_NAMES", "remaining_fraction", "ticket_index"),
    "store": ("RunDir",),
    "training.engine": ("TicketTrainer",),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}
# ``L.ticket``, ``L.engine``, ... still name those modules, as before they moved into floors.
_MODULES = {module.rpartition(".")[2]: module for module in _EXPORTS}


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    elif name in _MODULES:
        value = import_module(f".{_MODULES[name]}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_HOME])


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
