"""The two networks the pruning experiment can run: the SIREN and a ReLU MLP on Fourier features.

SPEC claim 2 says a ReLU network would degrade gradually under anti-IMP rather than collapse.
To test it on equal terms, the ReLU network runs through the same batched engine, rounds, masks
and store as the SIREN; only three things change, and they all live here:

- **inputs**: ``gamma(v) = [cos(2 pi v B^T), sin(2 pi v B^T)]`` with ``width // 2`` frequencies
  ``B ~ N(0, sigma^2)`` (Tancik et al., NeurIPS 2020; :class:`lthsiren.baselines.FourierFeatures`).
  ``B`` is a fixed part of the encoding, like the pixel grid: it is drawn once from a fixed
  seed, shared by every ticket and seed, and neither trained nor pruned;
- **layers**: the encoding takes the place of the SIREN's first layer, so the MLP has
  ``depth - 1`` Linear layers (``width -> width`` ... ``width -> 3``) and within 1% of the
  SIREN's parameter count (notebook 02 matches the two the same way);
- **init**: PyTorch's ``nn.Linear`` default, ``W, b ~ U(-1/sqrt(n_in), 1/sqrt(n_in))``, drawn from
  a generator seeded by the ticket's seed, so tickets of one seed share ``theta0``.

Notebook 07 runs the three tickets on it.
"""

from __future__ import annotations

import math

import torch

from .baselines import DEFAULT_SIGMA, FOURIER_SEED, FourierFeatures
from .siren import init_params

MODELS = ("siren", "relu-ff")


def relu_layer_sizes(width: int, depth: int, out_features: int = 3) -> list[tuple[int, int]]:
    """(n_in, n_out) of the ReLU MLP's ``depth - 1`` Linear layers after a ``width``-wide
    encoding."""
    sizes = [width] * (depth - 1) + [out_features]
    return list(zip(sizes[:-1], sizes[1:]))


def relu_init_params(
    width: int, depth: int, seed: int = 0
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``[(W, b), ...]`` of the ReLU MLP, nn.Linear's default distribution, one seed."""
    gen = torch.Generator().manual_seed(int(seed))
    params = []
    for n_in, n_out in relu_layer_sizes(width, depth):
        bound = 1.0 / math.sqrt(n_in)
        w = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * bound
        b = (torch.rand(n_out, generator=gen) * 2 - 1) * bound
        params.append((w, b))
    return params


def init_network(cfg, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Fresh parameters of ``cfg.model`` drawn with ``seed``."""
    if cfg.model == "relu-ff":
        return relu_init_params(cfg.width, cfg.depth, seed)
    return init_params(cfg.width, cfg.depth, cfg.omega_0, seed)


def network_inputs(cfg, coords: torch.Tensor) -> torch.Tensor:
    """What the first Linear layer sees: the coordinates, or their Fourier features."""
    if cfg.model == "relu-ff":
        encode = FourierFeatures(coords.shape[1], cfg.width // 2, cfg.ff_sigma, FOURIER_SEED)
        return encode.to(coords.device)(coords).contiguous()
    return coords


def activation(cfg) -> str:
    """The engine's activation for ``cfg.model``."""
    return "relu" if cfg.model == "relu-ff" else "sine"


__all__ = [
    "DEFAULT_SIGMA",
    "MODELS",
    "activation",
    "init_network",
    "network_inputs",
    "relu_init_params",
    "relu_layer_sizes",
]
