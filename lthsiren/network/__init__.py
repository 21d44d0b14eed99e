"""The network and its tickets: what a lottery ticket *is*, before anything trains it.

The first floor of the core. :mod:`~lthsiren.network.model` holds the two networks of the series
(the SIREN of Sitzmann et al. 2020 and a ReLU MLP on Fourier features, Tancik et al. 2020) and
the one forward pass they share; :mod:`~lthsiren.network.architectures` registers them under the
names a ``Config``'s ``model`` takes. :mod:`~lthsiren.network.ticket` says what a ticket is (a
pruning strategy and an init seed, its parameters and its mask), :mod:`~lthsiren.network.pruning`
removes weights and rewinds the survivors, the machinery of Frankle & Carbin, "The Lottery Ticket
Hypothesis" (ICLR 2019), and :mod:`~lthsiren.network.compaction` finds the neurons that still
reach the output. As OpenLTH's ``models`` and ``pruning`` folders do, this floor knows nothing of
training or of files: it imports only the top-level settings, seeds and errors.

The names the notebooks use are re-exported here (``from lthsiren.network import unstack``).
"""

from .architectures import architecture, init_network, network_inputs
from .compaction import reaching_output
from .model import Siren, forward, init_params, parameter_count, weight_bound
from .pruning import prune_step, rewind
from .ticket import (
    STRATEGIES,
    TICKET_NAMES,
    Mask,
    TicketParams,
    alive_count,
    alive_per_layer,
    full_mask,
    mask_of,
    remaining_fraction,
    stack,
    ticket_index,
    unstack,
)

__all__ = [
    "STRATEGIES",
    "TICKET_NAMES",
    "Mask",
    "Siren",
    "TicketParams",
    "alive_count",
    "alive_per_layer",
    "architecture",
    "forward",
    "full_mask",
    "init_network",
    "init_params",
    "mask_of",
    "network_inputs",
    "parameter_count",
    "prune_step",
    "reaching_output",
    "remaining_fraction",
    "rewind",
    "stack",
    "ticket_index",
    "unstack",
    "weight_bound",
]
