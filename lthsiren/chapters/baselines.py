"""Baselines for the SIREN and a plain fit loop: what the spectral-bias chapter compares.

Fitting one image with a coordinate network only works well if the network can represent high
spatial frequencies. A ReLU MLP fed raw coordinates learns the low frequencies first and the
high ones very slowly (the *spectral bias* of Rahaman et al. 2019). Tancik et al., "Fourier
Features Let Networks Learn High Frequency Functions in Low Dimensional Domains" (NeurIPS 2020),
fix this by mapping the coordinates through random sinusoids first:
``gamma(v) = [cos(2 pi B v), sin(2 pi B v)]`` with a fixed ``B ~ N(0, sigma^2)``. A SIREN
(:mod:`lthsiren.network.model`) builds sinusoids into every layer instead. This module holds:

- :class:`ReluMLP` and :class:`FourierMLP`, sized like a SIREN (``width``, ``depth`` = number of
  Linear layers). The Fourier encoding takes the place of a first layer, so a ``FourierMLP`` with
  ``depth - 1`` Linear layers and ``width // 2`` frequencies has almost exactly the parameter
  count of a depth-``depth`` SIREN; :func:`make_models` builds the three at matched size.
  ``FourierMLP(width, depth - 1, seed=s)`` holds the ``relu-ff`` spec's layers for
  ``make_config(model="relu-ff", width=width, depth=depth)`` and seed ``s``
  (:mod:`lthsiren.network.architectures`), with a ``B`` of its own per seed.
- :func:`fit`: full-batch MSE training with Adam and cosine annealing (the schedule of the
  lottery-ticket rounds), plain autograd, any ``nn.Module``, that records PSNR as it goes and
  keeps snapshots of the reconstruction at chosen steps. Seeded networks train deterministically
  on a CPU. The SIREN chapter and the spectral-bias chapter use it; the pruning experiment uses the
  faster batched engine of
  :mod:`lthsiren.training.engine` instead.
- :func:`residual_by_frequency`: how much of the target's energy in each band of spatial
  frequency a reconstruction still gets wrong, the number behind "which frequencies are learned
  first".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils import skip_init

from ..metrics import power_spectrum, psnr, radial_frequency
from ..network.model import (
    DEFAULT_SIGMA,
    FOURIER_SEED,
    FourierFeatures,
    Siren,
    draw_uniform,
    forward,
    layer_sizes,
    linear_default_bounds,
    relu_layer_sizes,
)
from ..progress import bar as progress_bar


class _ReluNet(nn.Module):
    """Linear layers of ``sizes`` with a ReLU after all but the last, on the coordinates or on
    their Fourier features: an nn.Module shell, like :class:`~lthsiren.network.model.Siren`, built
    from the parts the ``relu-ff`` spec (:data:`lthsiren.network.architectures.RELU_FF`) is made of
    (layer sizes, nn.Linear's default bounds, the Fourier encoding) and run by the package's one
    forward pass. The spec itself takes a Config; these classes keep their own knobs
    (``n_frequencies``, in and out features, ``depth`` counting Linear layers). The layers are the
    spec's draw from ``seed`` (:func:`~lthsiren.network.model.draw_uniform` within nn.Linear's
    default bounds): the very numbers ``torch.manual_seed(seed)`` then ``nn.Linear`` would hold,
    which the SIREN chapter and the spectral-bias chapter were run with, without touching the global
    RNG."""

    def __init__(self, sizes: list[tuple[int, int]], seed: int, encoding=None):
        super().__init__()
        if encoding is not None:
            self.encoding = encoding
        self.net = nn.ModuleList(skip_init(nn.Linear, n_in, n_out) for n_in, n_out in sizes)
        params = draw_uniform(sizes, linear_default_bounds(sizes), seed)
        with torch.no_grad():
            for lin, (w, b) in zip(self.net, params, strict=True):
                lin.weight.copy_(w)
                lin.bias.copy_(b)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        encoding = getattr(self, "encoding", None)
        B = None if encoding is None else encoding.B
        return forward(list(self.net), coords, activation="relu", encoding=B)


class ReluMLP(_ReluNet):
    """Coordinates -> colour with ReLU: ``depth`` Linear layers, ``depth - 1`` hidden ones of
    ``width`` neurons, PyTorch's default init. Same shape and parameter count as a SIREN."""

    def __init__(
        self,
        width: int = 256,
        depth: int = 5,
        seed: int = 0,
        in_features: int = 2,
        out_features: int = 3,
    ):
        if depth < 2:
            raise ValueError("depth counts Linear layers and must be at least 2")
        super().__init__(layer_sizes(width, depth, in_features, out_features), seed)


class FourierMLP(_ReluNet):
    """Fourier features then a ReLU MLP of ``depth`` Linear layers (Tancik et al. 2020).

    ``n_frequencies`` defaults to ``width // 2``, so the encoding is ``width`` wide. Pass
    ``depth - 1`` to match a depth-``depth`` SIREN's parameter count (see :func:`make_models`):
    ``depth`` here counts Linear layers, where the ``relu-ff`` spec also counts the layer the
    encoding replaces. Unlike the spec's ``B`` (one for every seed), this one is drawn per seed.
    """

    def __init__(
        self,
        width: int = 256,
        depth: int = 4,
        n_frequencies: int | None = None,
        sigma: float = DEFAULT_SIGMA,
        seed: int = 0,
        in_features: int = 2,
        out_features: int = 3,
    ):
        if depth < 2:
            raise ValueError("depth counts Linear layers and must be at least 2")
        n_frequencies = max(1, width // 2) if n_frequencies is None else n_frequencies
        # B gets a stream of its own, so it does not repeat the first numbers of the layers' init
        encoding = FourierFeatures(in_features, n_frequencies, sigma, FOURIER_SEED + seed)
        sizes = relu_layer_sizes(width, depth + 1, out_features, encoding.out_features)
        super().__init__(sizes, seed, encoding)


def count_parameters(net: nn.Module) -> int:
    """Trainable parameters (the fixed Fourier matrix ``B`` is a buffer and not counted)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def make_models(
    width: int = 256,
    depth: int = 5,
    omega_0: float = 30.0,
    seed: int = 0,
    sigma: float = DEFAULT_SIGMA,
) -> dict[str, nn.Module]:
    """The three coordinate networks of the spectral-bias chapter at (almost) the same parameter
    count:
    a ReLU MLP and a SIREN of ``depth`` Linear layers, and a Fourier-feature MLP whose encoding
    (``width // 2`` frequencies) replaces the first layer."""
    return {
        "ReLU MLP": ReluMLP(width, depth, seed),
        "ReLU + Fourier features": FourierMLP(width, depth - 1, sigma=sigma, seed=seed),
        "SIREN": Siren(width, depth, omega_0, seed),
    }


@dataclass
class FitResult:
    """What :func:`fit` returns. ``steps[i]`` is the number of optimizer updates after which
    ``psnr[i]`` and ``loss[i]`` were measured (0 = the initial network). Images come back in
    the shape the target was given in, on the CPU."""

    steps: list[int]
    psnr: list[float]
    loss: list[float]
    final: torch.Tensor
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def final_psnr(self) -> float:
        return self.psnr[-1]


def _should_log(step: int, steps: int, log_every: int, snapshot_steps: set[int]) -> bool:
    return step % log_every == 0 or step == steps or step in snapshot_steps


def fit(
    net: nn.Module,
    coords: torch.Tensor,
    target: torch.Tensor,
    steps: int,
    lr: float,
    log_every: int | None = None,
    snapshot_steps: Iterable[int] = (),
    device: str | torch.device | None = None,
    progress: bool = False,
) -> FitResult:
    """Fit ``net`` to ``target`` in place: full batch, MSE, Adam from a fresh state, the
    learning rate annealed from ``lr`` to 0 along a cosine over ``steps`` updates.

    ``coords`` is ``[N, in]``; ``target`` is ``[N, C]`` or an image ``[side, side, C]`` whose
    pixels are in the order of :func:`lthsiren.coordinate_grid`. PSNR (:func:`lthsiren.psnr`)
    is recorded every ``log_every`` updates (default: about 50 points) and after the last one;
    a copy of the reconstruction is kept after each update count in ``snapshot_steps``
    (0 = before training). ``device`` defaults to the one ``net`` lives on.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    device = torch.device(device) if device is not None else next(net.parameters()).device
    net.to(device)
    shape = target.shape
    x = coords.to(device)
    y = target.reshape(x.shape[0], -1).to(device)
    log_every = max(1, steps // 50) if log_every is None else max(1, int(log_every))
    wanted = {int(s) for s in snapshot_steps}
    bad = sorted(s for s in wanted if not 0 <= s <= steps)
    if bad:
        raise ValueError(f"snapshot_steps must lie in [0, {steps}], got {bad}")

    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    result = FitResult(steps=[], psnr=[], loss=[], final=torch.empty(0))

    def record(step: int, out: torch.Tensor, loss: float) -> None:
        img = out.detach().cpu().reshape(shape)
        if step % log_every == 0 or step == steps:
            result.steps.append(step)
            result.psnr.append(psnr(img, target.cpu()))
            result.loss.append(loss)
        if step in wanted:
            result.snapshots[step] = img.clone()

    bar = progress_bar(total=steps, desc=type(net).__name__, leave=False) if progress else None
    start = time.perf_counter()
    net.train()
    for step in range(steps):
        out = net(x)
        loss = torch.mean((out - y) ** 2)
        if _should_log(step, steps, log_every, wanted):
            record(step, out, float(loss.detach()))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if bar is not None:
            bar.update()
    with torch.no_grad():
        out = net(x)
        record(steps, out, float(torch.mean((out - y) ** 2)))
    result.final = out.cpu().reshape(shape)
    result.seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    return result


def residual_by_frequency(recon, target, n_bands: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Spectral energy of ``recon - target`` in each of ``n_bands`` equal-width rings of radial
    frequency from 0 to Nyquist, as a fraction of the target's energy in the same ring.

    0 means the band is reproduced exactly; 1 means it is as wrong as leaving it out (a flat
    image scores about 1 in every band but DC). Images are ``[side, side, C]`` on the [-1, 1]
    scale; the reconstruction is clamped first, as for PSNR. The corners beyond Nyquist (the
    diagonals) are left out. Returns ``(centres in cycles per pixel, fractions)``.
    """
    recon = torch.as_tensor(recon).float().cpu().clamp(-1.0, 1.0)
    target = torch.as_tensor(target).float().cpu()
    err, ref = power_spectrum(recon - target), power_spectrum(target)
    radius = radial_frequency(target.shape[0])
    edges = torch.linspace(0.0, 0.5, n_bands + 1, dtype=torch.float64)
    fractions = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        ring = (radius >= lo) & (radius < hi) if lo > 0 else radius < hi
        fractions.append(float(err[ring].sum() / ref[ring].sum().clamp_min(1e-12)))
    return (edges[:-1] + edges[1:]) / 2, torch.tensor(fractions, dtype=torch.float64)
