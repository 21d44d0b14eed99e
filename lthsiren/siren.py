"""The SIREN of Sitzmann et al., "Implicit Neural Representations with Periodic Activation
Functions" (NeurIPS 2020), in one readable file.

A SIREN maps a pixel coordinate (y, x) in [-1, 1]^2 to a colour. Every hidden layer computes
``sin(omega_0 * (W h + b))``; the output layer is plain linear. The paper's initialisation
(its appendix 1) is what makes it work: the first layer draws W ~ U(-1/n_in, 1/n_in), every later
layer (the output layer included) W ~ U(-sqrt(6/n_in)/omega_0, +sqrt(6/n_in)/omega_0), and the
biases keep PyTorch's nn.Linear default. Notebook 01 shows why, with histograms.

Parameters are kept in nn.Linear layout (``W`` is ``[out, in]``) everywhere in the package, so a
mask, a state dict and the batched engine in :mod:`lthsiren.train` all line up.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def layer_sizes(width: int = 256, depth: int = 5, in_features: int = 2, out_features: int = 3):
    """(n_in, n_out) of each Linear layer: ``depth`` layers, the last one linear (no sine)."""
    if depth < 2:
        raise ValueError("a SIREN needs at least 2 layers (one sine layer and the output layer)")
    sizes = [in_features] + [width] * (depth - 1) + [out_features]
    return list(zip(sizes[:-1], sizes[1:]))


def weight_bound(layer_index: int, n_in: int, omega_0: float) -> float:
    """Half-width of the uniform init of layer ``layer_index`` (0 is the first layer)."""
    if layer_index == 0:
        return 1.0 / n_in
    return math.sqrt(6.0 / n_in) / omega_0


def init_params(
    width: int = 256,
    depth: int = 5,
    omega_0: float = 30.0,
    seed: int = 0,
    in_features: int = 2,
    out_features: int = 3,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Fresh SIREN parameters ``[(W, b), ...]`` drawn from the paper's init with one seed.

    A dedicated generator makes ``theta0`` depend on ``seed`` alone, not on whatever used the
    global RNG before, so the three tickets of one seed start from the very same weights.
    """
    gen = torch.Generator().manual_seed(int(seed))
    params = []
    for i, (n_in, n_out) in enumerate(layer_sizes(width, depth, in_features, out_features)):
        w_bound = weight_bound(i, n_in, omega_0)
        b_bound = 1.0 / math.sqrt(n_in)  # nn.Linear's default bias init
        w = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * w_bound
        b = (torch.rand(n_out, generator=gen) * 2 - 1) * b_bound
        params.append((w, b))
    return params


def parameter_count(width: int = 256, depth: int = 5) -> dict[str, int]:
    """Weights, biases and their total for a SIREN of this size (198,915 at the default)."""
    sizes = layer_sizes(width, depth)
    weights = sum(i * o for i, o in sizes)
    biases = sum(o for _, o in sizes)
    return {"weights": weights, "biases": biases, "total": weights + biases}


class SineLayer(nn.Module):
    """``sin(omega_0 * (W x + b))``."""

    def __init__(self, n_in: int, n_out: int, omega_0: float = 30.0):
        super().__init__()
        self.omega_0 = omega_0
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega_0 * self.linear(x))


class Siren(nn.Module):
    """A plain nn.Module SIREN, for notebooks and as the reference the batched engine is tested
    against. ``Siren(width=256, depth=5)`` is the network of the SPEC (198,915 parameters)."""

    def __init__(self, width: int = 256, depth: int = 5, omega_0: float = 30.0, seed: int = 0):
        super().__init__()
        self.omega_0 = omega_0
        sizes = layer_sizes(width, depth)
        self.net = nn.Sequential(
            *[SineLayer(i, o, omega_0) for i, o in sizes[:-1]], nn.Linear(*sizes[-1])
        )
        self.load_params(init_params(width, depth, omega_0, seed))

    def linears(self) -> list[nn.Linear]:
        """The Linear layers in order (the prunable weights live here)."""
        return [m for m in self.modules() if isinstance(m, nn.Linear)]

    @torch.no_grad()
    def load_params(self, params) -> None:
        """Copy ``[(W, b), ...]`` (nn.Linear layout) into the layers."""
        for lin, (w, b) in zip(self.linears(), params, strict=True):
            lin.weight.copy_(w)
            lin.bias.copy_(b)

    def params(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Detached copies of ``[(W, b), ...]``."""
        return [(lin.weight.detach().clone(), lin.bias.detach().clone()) for lin in self.linears()]

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.net(coords)
