"""Tickets to and from ``torch.nn.utils.prune``, one call each way.

PyTorch's pruning utilities keep a pruned ``nn.Linear`` as two tensors, ``weight_orig`` (a
parameter) and ``weight_mask`` (a buffer), and a forward pre-hook that recomputes ``weight =
weight_orig * weight_mask`` before every call. lthsiren keeps the same ticket as
``(params, mask)``: ``[(W [out, in], b [out]), ...]`` with pruned weights at +0.0, and one boolean
``[out, in]`` per layer (:mod:`lthsiren.network.ticket`).

- :func:`to_pruned_module`: ``(params, mask)`` -> a :class:`~lthsiren.network.model.Siren` whose
  Linear layers carry the hooks (``torch.nn.utils.prune.custom_from_mask``), ready to train with
  ``torch.optim`` or to save as a state dict with ``weight_orig`` / ``weight_mask``;
  :func:`run_ticket_module` does it straight from a run's round, trained or rewound;
- :func:`from_pruned`: such a module, or its state dict, or an unpruned one -> ``(params, mask)``.

Coordinates: lthsiren feeds (row, column) pairs; a network trained on (x, y) = (column, row)
inputs, as the write-up's code did, computes the same picture from our inputs once the two
columns of its first layer's weight are swapped. ``swap_xy=True`` does that swap, in either
direction (docs/reference.md). The README's "Using torch.nn.utils.prune" section shows both
calls.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from .errors import LthsirenError
from .network.architectures import architecture
from .network.model import Siren
from .network.pruning import rewind
from .network.ticket import Mask, TicketParams, full_mask, ticket_index, unstack


def _swap_first_columns(params: TicketParams) -> TicketParams:
    (w, b), rest = params[0], params[1:]
    if w.shape[1] != 2:
        raise LthsirenError(f"swap_xy needs a first layer with 2 inputs, it has {w.shape[1]}")
    return [(w[:, [1, 0]].clone(), b), *rest]


def _swap_mask(mask: Mask) -> Mask:
    return [mask[0][:, [1, 0]].clone(), *mask[1:]]


def to_pruned_module(params, mask=None, omega_0: float = 30.0, swap_xy: bool = False) -> Siren:
    """A :class:`~lthsiren.network.model.Siren` holding ``params`` with ``mask`` attached to every
    Linear weight by ``torch.nn.utils.prune`` (``weight_orig``, ``weight_mask`` and the forward
    hook). ``mask=None`` keeps every weight. ``swap_xy`` swaps the first layer's input columns, for
    a module that will be fed (x, y) rather than lthsiren's (row, column)."""
    params = [
        (torch.as_tensor(w).detach().float(), torch.as_tensor(b).detach().float())
        for w, b in params
    ]
    mask = full_mask([w for w, _ in params]) if mask is None else [m.bool() for m in mask]
    if swap_xy:
        params, mask = _swap_first_columns(params), _swap_mask(mask)
    widths = {w.shape[0] for w, _ in params[:-1]}
    if len(widths) != 1 or params[0][0].shape[1] != 2:
        raise LthsirenError("to_pruned_module builds SIRENs of equal hidden widths on 2 inputs")
    net = Siren(width=widths.pop(), depth=len(params), omega_0=omega_0)
    net.load_params(params)
    for lin, m in zip(net.linears(), mask, strict=True):
        prune.custom_from_mask(lin, "weight", m.to(lin.weight.device))
    return net


def run_ticket_module(
    run,
    k: int,
    ticket: str = "winner",
    seed: int | None = None,
    rewound: bool = False,
    swap_xy: bool = False,
) -> Siren:
    """Round ``k``'s ``ticket`` of a stored run as a pruned module: its mask with the weights it
    trained to (``rewound=False``) or the ones it started from, ``mask * theta0``."""
    cfg = run.config()
    if not architecture(cfg.model).siren_layout:
        raise LthsirenError(f"{run.path} holds {cfg.model} networks; pick a siren run")
    t = ticket_index(cfg, ticket, seed)
    params, mask = run.ticket(k, t)
    if rewound:
        params = rewind(unstack(run.theta0(), t), mask)
    return to_pruned_module(params, mask, cfg.omega_0, swap_xy)


def _linear_entries(state: dict) -> list[tuple[str, dict]]:
    """Group a state dict's entries by Linear layer, in the order they appear."""
    layers: dict[str, dict] = {}
    for key, value in state.items():
        prefix, _, name = key.rpartition(".")
        if name in ("weight", "weight_orig", "weight_mask", "bias"):
            layers.setdefault(prefix, {})[name] = value
    return list(layers.items())


def from_pruned(module_or_state, swap_xy: bool = False) -> tuple[TicketParams, Mask]:
    """``(params, mask)`` of a network pruned with ``torch.nn.utils.prune`` (or not pruned: every
    weight alive), given as an ``nn.Module`` or its state dict. Layers are its Linear layers in
    order; pruned weights come back as +0.0. ``swap_xy`` as in :func:`to_pruned_module`."""
    state = (
        module_or_state.state_dict() if isinstance(module_or_state, nn.Module) else module_or_state
    )
    params, mask = [], []
    for prefix, entry in _linear_entries(state):
        w = entry.get("weight_orig", entry.get("weight"))
        if w is None or "bias" not in entry or w.ndim != 2:
            raise LthsirenError(
                f"layer {prefix or '(top)'} of the state dict has no 2-D weight (or "
                "weight_orig) and bias: pass a network of Linear layers"
            )
        m = entry.get("weight_mask", torch.ones_like(w)).bool()
        params.append((w.detach().float().cpu(), entry["bias"].detach().float().cpu()))
        mask.append(m.cpu())
    if not params:
        raise LthsirenError("found no Linear layers (weight and bias) in the module or state dict")
    params = rewind(params, mask)
    if swap_xy:
        params, mask = _swap_first_columns(params), _swap_mask(mask)
    return params, mask
