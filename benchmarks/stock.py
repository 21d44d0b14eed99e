"""The stock-PyTorch implementation, kept as a yardstick: the baseline of
``benchmarks/bench_engine.py`` and the oracle of the engine's tests (tests/test_engine.py).

This is what a user would write with stock PyTorch, and what the reference code does: one
:class:`lthsiren.network.model.Siren` per ticket, masks attached with
``torch.nn.utils.prune.custom_from_mask`` (so every forward pass recomputes ``weight =
weight_orig * weight_mask``; :func:`lthsiren.interop.to_pruned_module`), autograd,
``torch.optim.Adam`` and ``CosineAnnealingLR``, the tickets trained one after another.
"""

from __future__ import annotations

import torch
from torch import nn

from lthsiren.interop import from_pruned, to_pruned_module


def train_reference(params, mask, coords, target, steps: int, lr: float, omega_0: float = 30.0):
    """Train one masked SIREN the stock way; returns its effective ``[(W, b), ...]``."""
    net = to_pruned_module(params, mask, omega_0).to(coords.device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(net(coords), target)
        loss.backward()
        opt.step()
        sched.step()
    return from_pruned(net)[0]
