"""Looking inside a SIREN at initialisation: what the SIREN chapter plots.

Sitzmann et al. (2020, section 3.2 and appendix 1) choose the init so that, layer after layer,
the weight part of every hidden pre-activation, ``omega_0 * W h``, is close to N(0, 1) and the
activations ``sin(...)`` keep the U-shaped (arcsine) distribution of a sine of a well-spread
phase. :func:`probe` returns those tensors for every sine layer of a :class:`lthsiren.Siren`;
:func:`torch_default_init` and :func:`scaled_init` re-draw a Siren's weights the wrong way, so
the notebook can show what goes wrong: weights too wide make each layer wrap its input around
the sine many times (the output turns to noise), weights too narrow shrink the signal layer by
layer until only the biases are left (the output collapses to a flat image).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..network.model import Siren, forward, weight_bound


@dataclass
class LayerProbe:
    """One sine layer evaluated on a batch of coordinates, each tensor ``[N, width]``:
    ``weight_part = omega_0 * W h``, ``preact = omega_0 * (W h + b)``, ``activation =
    sin(preact)``."""

    index: int
    weight_part: torch.Tensor
    preact: torch.Tensor
    activation: torch.Tensor


@torch.no_grad()
def probe(net: Siren, coords: torch.Tensor) -> list[LayerProbe]:
    """Run ``coords`` through the sine layers of ``net`` and keep what each one computes."""
    params = net.params()
    hidden: list = []
    forward(params, coords.to(params[0][0].device), net.omega_0, hidden=hidden)
    out = []
    for i, ((preact, h), (_, b)) in enumerate(zip(hidden, params)):
        weight_part = preact - net.omega_0 * b
        out.append(LayerProbe(i, weight_part.cpu(), preact.cpu(), h.cpu()))
    return out


def probe_table(probes: list[LayerProbe]) -> list[dict[str, float]]:
    """Per layer: the std of the weight part, of the whole pre-activation and of the
    activation, and the mean over neurons of each activation's std across the image (how much a
    neuron's output varies with position; near 0 means the layer has collapsed to constants)."""
    rows = []
    for p in probes:
        rows.append(
            {
                "layer": p.index,
                "weight_part_std": float(p.weight_part.std()),
                "preact_std": float(p.preact.std()),
                "activation_std": float(p.activation.std()),
                "spatial_std": float(p.activation.std(dim=0).mean()),
            }
        )
    return rows


def _redraw(net: Siren, bounds: list[tuple[float, float]], seed: int) -> Siren:
    """Re-draw every Linear of ``net`` uniformly within ``(weight bound, bias bound)``."""
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for lin, (wb, bb) in zip(net.linears(), bounds, strict=True):
            w = (torch.rand(lin.weight.shape, generator=gen) * 2 - 1) * wb
            b = (torch.rand(lin.bias.shape, generator=gen) * 2 - 1) * bb
            lin.weight.copy_(w)
            lin.bias.copy_(b)
    return net


def torch_default_init(net: Siren, seed: int = 0) -> Siren:
    """Re-draw ``net`` in place as a stock ``nn.Linear`` would: weights and biases
    ``U(-1/sqrt(n_in), 1/sqrt(n_in))``, with ``omega_0`` left as it is. This is what you get by
    swapping ReLU for a sine in an ordinary MLP: every hidden weight part then has a std of
    about ``omega_0 / sqrt(3) * std(h)`` (about 12 for omega_0 = 30), far above 1."""
    bounds = [(1 / math.sqrt(lin.in_features),) * 2 for lin in net.linears()]
    return _redraw(net, bounds, seed)


def scaled_init(net: Siren, factor: float, seed: int = 0) -> Siren:
    """Re-draw ``net`` in place with the paper's init, every layer after the first made
    ``factor`` times wider (biases keep nn.Linear's default). ``factor = 1`` is the paper's
    init up to the random draw; above 1 the weight parts grow, below 1 they shrink geometrically
    with depth."""
    omega = net.omega_0
    bounds = []
    for i, lin in enumerate(net.linears()):
        wb = weight_bound(i, lin.in_features, omega) * (factor if i > 0 else 1.0)
        bounds.append((wb, 1 / math.sqrt(lin.in_features)))
    return _redraw(net, bounds, seed)
