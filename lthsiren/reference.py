"""The straightforward implementation, kept as a yardstick.

This is what a user would write with stock PyTorch: one :class:`~lthsiren.siren.Siren` per
ticket, masks attached with ``torch.nn.utils.prune.custom_from_mask`` (so every forward pass
recomputes ``weight = weight_orig * weight_mask``), autograd, ``torch.optim.Adam`` and
``CosineAnnealingLR``, the tickets trained one after another. The tests check that the batched
engine in :mod:`lthsiren.train` gives the same weights; ``benchmarks/bench_engine.py`` times
both.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from .siren import Siren


def masked_siren(params, mask, omega_0: float = 30.0) -> Siren:
    """A Siren holding ``params`` with ``mask`` attached to every Linear weight by prune hooks."""
    width = params[0][0].shape[0]
    net = Siren(width=width, depth=len(params), omega_0=omega_0)
    net.load_params(params)
    for lin, m in zip(net.linears(), mask, strict=True):
        prune.custom_from_mask(lin, "weight", m.to(torch.bool))
    return net


def train_reference(params, mask, coords, target, steps: int, lr: float, omega_0: float = 30.0):
    """Train one masked SIREN the stock way; returns its effective ``[(W, b), ...]``."""
    net = masked_siren(params, mask, omega_0).to(coords.device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(net(coords), target)
        loss.backward()
        opt.step()
        sched.step()
    return [(lin.weight.detach().clone(), lin.bias.detach().clone()) for lin in net.linears()]
