"""The two networks of the series, and the one forward pass they share.

**SIREN** (Sitzmann et al., "Implicit Neural Representations with Periodic Activation
Functions", NeurIPS 2020). A SIREN maps a pixel coordinate (row, column) in [-1, 1]^2 to a
colour. Every hidden layer computes ``sin(omega_0 * (W h + b))``; the output layer is plain
linear. The paper's initialisation (its appendix 1) is what makes it work: the first layer draws
W ~ U(-1/n_in, 1/n_in), every later layer (the output layer included)
W ~ U(-sqrt(6/n_in)/omega_0, +sqrt(6/n_in)/omega_0), and the biases keep PyTorch's nn.Linear
default. The SIREN chapter shows why, with histograms.

**ReLU MLP on Fourier features** (Tancik et al., "Fourier Features Let Networks Learn High
Frequency Functions in Low Dimensional Domains", NeurIPS 2020): the coordinates go through a
fixed encoding ``gamma(v) = [cos(2 pi v B^T), sin(2 pi v B^T)]`` with ``width // 2`` frequencies
``B ~ N(0, sigma^2)``, then a ReLU MLP. The encoding takes the place of the SIREN's first layer,
so the MLP has ``depth - 1`` Linear layers and within 1% of the SIREN's parameter count. ``B``
is drawn once from a fixed seed (shared by every ticket and seed, neither trained nor pruned);
the layers take nn.Linear's default init from the ticket's seed. The spectral-bias chapter and the
ReLU-and-transfer chapter use it.

This module holds their parts (layer sizes, init bounds, the one uniform draw, the Fourier
encoding, the forward pass); :mod:`lthsiren.network.architectures` assembles each network from them
as one registered spec, which is what a ``Config``'s ``model`` names.

Parameters are kept in nn.Linear layout (``W`` is ``[out, in]``) everywhere in the package, so a
mask, a state dict and the batched engine (:mod:`lthsiren.training.engine`) all line up.
:func:`forward` is the only forward pass of the package outside the engine's fused training path
(which the tests check against it).
"""

from __future__ import annotations

import math

import torch
from torch import nn

DEFAULT_SIGMA = 5.0  # std of B, in cycles per unit of the [-1, 1] coordinates
FOURIER_SEED = 1_000_003  # the seed that draws the relu-ff model's B
TILE = 65_536  # pixels per tile when drawing: at width 256, 64 MiB of activations per layer


# -- the forward pass ------------------------------------------------------------------------


def _affine(layer, h: torch.Tensor, scale: float) -> torch.Tensor:
    """``scale * (W h + b)`` for one layer: an ``(W, b)`` pair (dense or sparse CSR ``W``) or an
    ``nn.Linear`` (called, so that pruning hooks on it run)."""
    if isinstance(layer, nn.Module):
        z = layer(h)
        return z if scale == 1.0 else z * scale
    w, b = layer
    if w.layout == torch.sparse_csr:  # sparse times dense needs the sparse matrix first
        return torch.addmm(b[:, None], w, h.T, beta=scale, alpha=scale).T
    # omega_0 rides along as the GEMM's alpha and beta: the engine's very arithmetic
    return torch.addmm(b, h, w.T, beta=scale, alpha=scale)


def forward(
    params,
    x: torch.Tensor,
    omega_0: float = 30.0,
    activation: str = "sine",
    encoding: torch.Tensor | None = None,
    hidden: list | None = None,
    tile: int | None = None,
) -> torch.Tensor:
    """Outputs ``[N, C]`` (unclamped) of one network at inputs ``x [N, 2]``.

    ``params`` is ``[(W [out, in], b [out]), ...]`` or a sequence of ``nn.Linear``; every layer
    but the last is followed by ``sin(omega_0 * .)`` (``activation="sine"``) or a ReLU
    (``"relu"``, no omega_0). ``encoding`` is the Fourier matrix ``B`` of a relu-ff network,
    applied to ``x`` first. ``hidden``, if a list, receives ``(pre-activation, activation)`` of
    every hidden layer (use it with one tile). ``tile`` runs the pixels in slices of that many
    rows, so drawing at any resolution takes bounded memory.
    """
    if activation not in ("sine", "relu"):
        raise ValueError(f"activation must be 'sine' or 'relu', got {activation!r}")
    if tile is not None and x.shape[0] > tile:
        return torch.cat(
            [
                forward(params, x[i : i + tile], omega_0, activation, encoding, hidden)
                for i in range(0, x.shape[0], tile)
            ]
        )
    h = fourier_encode(x, encoding) if encoding is not None else x
    scale = float(omega_0) if activation == "sine" else 1.0
    last = len(params) - 1
    for l, layer in enumerate(params):
        if l == last:
            return _affine(layer, h, 1.0)
        z = _affine(layer, h, scale)
        h = torch.sin(z) if activation == "sine" else torch.relu(z)
        if hidden is not None:
            hidden.append((z, h))
    raise ValueError("a network needs at least one layer")


# -- SIREN -----------------------------------------------------------------------------------


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


def siren_bounds(sizes, omega_0: float) -> list[tuple[float, float]]:
    """``(weight bound, bias bound)`` of each layer under the paper's init: :func:`weight_bound`
    for the weights, nn.Linear's ``1/sqrt(n_in)`` for the biases."""
    return [
        (weight_bound(i, n_in, omega_0), 1.0 / math.sqrt(n_in)) for i, (n_in, _) in enumerate(sizes)
    ]


def linear_default_bounds(sizes) -> list[tuple[float, float]]:
    """nn.Linear's default ``(weight bound, bias bound)``: ``1/sqrt(n_in)`` for both."""
    return [(1.0 / math.sqrt(n_in),) * 2 for n_in, _ in sizes]


def draw_uniform(sizes, bounds, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``[(W, b), ...]`` with ``W ~ U(-wb, wb)``, ``b ~ U(-bb, bb)`` per layer, W then b, layer
    after layer, from one generator seeded with ``seed`` (so ``theta0`` depends on the seed
    alone, never on the global RNG). ``(2 * rand - 1) * bound`` rounds once, exactly as
    ``Tensor.uniform_`` does: with :func:`linear_default_bounds` these are, bit for bit, the
    weights ``torch.manual_seed(seed)`` then one ``nn.Linear`` per layer would hold."""
    gen = torch.Generator().manual_seed(int(seed))
    params = []
    for (n_in, n_out), (wb, bb) in zip(sizes, bounds, strict=True):
        w = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * wb
        b = (torch.rand(n_out, generator=gen) * 2 - 1) * bb
        params.append((w, b))
    return params


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
    global RNG before, so the tickets of one seed start from the very same weights.
    """
    sizes = layer_sizes(width, depth, in_features, out_features)
    return draw_uniform(sizes, siren_bounds(sizes, omega_0), seed)


def parameter_count(width: int = 256, depth: int = 5) -> dict[str, int]:
    """Weights, biases and their total for a SIREN of this size (198,915 at the default)."""
    sizes = layer_sizes(width, depth)
    weights = sum(i * o for i, o in sizes)
    biases = sum(o for _, o in sizes)
    return {"weights": weights, "biases": biases, "total": weights + biases}


class SineLayer(nn.Module):
    """``sin(omega_0 * (W x + b))``: a Linear layer and its sine, kept together so that a
    printed Siren reads like the paper's network."""

    def __init__(self, n_in: int, n_out: int, omega_0: float = 30.0):
        super().__init__()
        self.omega_0 = omega_0
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(_affine(self.linear, x, self.omega_0))


class Siren(nn.Module):
    """A plain nn.Module SIREN. ``Siren(width=256, depth=5)`` is the network of the write-up
    (198,915 parameters). Its weights live in ``nn.Linear`` layers, so ``torch.nn.utils.prune``
    can hook them (:mod:`lthsiren.interop`); its output is :func:`forward`'s."""

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
        # the Linear modules are called, so pruning hooks on them run
        return forward(self.linears(), coords, self.omega_0)


# -- ReLU MLP on Fourier features --------------------------------------------------------------


def fourier_matrix(
    n_frequencies: int, sigma: float = DEFAULT_SIGMA, seed: int = FOURIER_SEED, in_features=2
) -> torch.Tensor:
    """``B [n_frequencies, in_features] ~ N(0, sigma^2)`` from a generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(n_frequencies, in_features, generator=gen) * sigma


def fourier_encode(x: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """``[cos(2 pi x B^T), sin(2 pi x B^T)]``: ``[N, 2 * len(B)]``."""
    phase = 2.0 * math.pi * x @ B.to(x.device, x.dtype).T
    return torch.cat([torch.cos(phase), torch.sin(phase)], dim=-1)


class FourierFeatures(nn.Module):
    """:func:`fourier_encode` as a module; ``B`` is a buffer (saved, moved, not trained)."""

    def __init__(self, in_features=2, n_frequencies=128, sigma=DEFAULT_SIGMA, seed=0):
        super().__init__()
        self.register_buffer("B", fourier_matrix(n_frequencies, sigma, seed, in_features))
        self.sigma = float(sigma)

    @property
    def out_features(self) -> int:
        return 2 * self.B.shape[0]

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return fourier_encode(coords, self.B)


def relu_layer_sizes(
    width: int, depth: int, out_features: int = 3, in_features: int | None = None
) -> list[tuple[int, int]]:
    """(n_in, n_out) of the ReLU MLP's ``depth - 1`` Linear layers after an encoding
    ``in_features`` wide (default ``width``)."""
    sizes = [width if in_features is None else in_features] + [width] * (depth - 2)
    sizes.append(out_features)
    return list(zip(sizes[:-1], sizes[1:]))


def relu_init_params(width: int, depth: int, seed: int = 0):
    """``[(W, b), ...]`` of the ReLU MLP, nn.Linear's default distribution, one seed."""
    sizes = relu_layer_sizes(width, depth)
    return draw_uniform(sizes, linear_default_bounds(sizes), seed)


# -- what a Config asks for ---------------------------------------------------------------------
# These helpers (and MODELS, the registered names) live with the registry in
# lthsiren.network.architectures, which builds on this module; importing them from here still works.
_CONFIG_HELPERS = (
    "MODELS",
    "activation",
    "encoding_of",
    "forward_scale",
    "init_network",
    "network_inputs",
)


def __getattr__(name: str):
    if name in _CONFIG_HELPERS:
        from . import architectures

        return getattr(architectures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
