"""Norm-matched controls for the per-layer frequency test of the open-questions chapter ("Inside
each layer").

There, one layer losing its largest 20% of weights (``largest-layer``) loses the high end of its
activations' spectrum, while losing its smallest 20% (``smallest-layer``) does not. But the two
prunes differ in more than *which* weights go: the largest 20% carry most of the layer's squared
norm, so the pre-activation ``omega_0 (W h + b)`` shrinks, and ``sin`` of a smaller argument has
fewer harmonics whichever weights produced it. Two controls remove the same amount of size
without choosing the large weights, one layer of a trained network at a time:

- ``random-normed``: a random 20% of the layer's alive weights removed (the same count as
  ``largest``), the survivors scaled so that the layer's size equals what ``largest`` leaves;
- ``scaled``: nothing removed, the whole layer scaled down uniformly to that size.

If the spectrum's high end falls as far under these as under ``largest``, the drop is the lost
size; if it falls only under ``largest``, the large weights themselves carry the high
frequencies. Biases are left alone in every variant (they are never pruned).

**What "size" is matched** (``match``): by default the layer's weight Frobenius norm
(``"norm"``), a property of the weights alone, as the prune itself is. The sine sees something
else, though: the spread of its argument over the image, which also depends on which inputs a
weight multiplies (a large weight on a nearly constant input adds little spread). So
``match="preactivation"`` instead matches the pre-activation's variance over the pixel grid
(each neuron's variance of ``W h`` over the pixels, averaged over the layer's neurons, with
``h`` the unperturbed layers' output on the grid): the quantity the harmonics argument is about.
For the first layer the two agree (the grid's two coordinates are uncorrelated with equal
variance, so the spread is the norm times a constant); deeper, they part. Either is matched
exactly, by one scale factor on the layer. SIREN networks only (sine layers, inputs are the
pixel coordinates).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ..data import coordinate_grid
from ..metrics import HFE_CUTOFF
from ..network.model import forward
from ..network.pruning import prune_step
from ..network.ticket import Mask, TicketParams, mask_of, ticket_index, unstack
from ..seeds import derived_generator
from .spectra import high_share, layer_spectra, masked, power_spectrum

CONTROLS = ("largest", "smallest", "random-normed", "scaled")
MATCHES = ("norm", "preactivation")
CONTROL_SEED_OFFSET = 5_000_011  # apart from the pruning and mini-batch offsets


class Control(NamedTuple):
    """One perturbed network: its parameters, its mask, and the factor the perturbed layer's
    surviving weights were multiplied by (1 for the two plain prunes)."""

    params: TicketParams
    mask: Mask
    scale: float


@torch.no_grad()
def layer_inputs(params, layer: int, side: int, omega_0: float = 30.0) -> torch.Tensor:
    """What Linear layer ``layer`` of a SIREN multiplies at each pixel of the grid, ``[N, in]``
    (float64): the coordinates for layer 0, else the previous hidden layer's activations."""
    coords = coordinate_grid(side).double()
    if layer == 0:
        return coords
    hidden: list = []
    # layers 0..layer: the last one acts as the output, so ``hidden`` ends with its input
    forward(
        [(w.double(), b.double()) for w, b in params[: layer + 1]], coords, omega_0, hidden=hidden
    )
    return hidden[layer - 1][1]


def layer_size(weight: torch.Tensor, match: str = "norm", inputs: torch.Tensor | None = None):
    """The size that ``match`` compares: the Frobenius norm of ``weight``, or the mean over
    neurons of the variance of ``inputs @ weight.T`` over the pixels (``"preactivation"``)."""
    if match == "norm":
        return float(torch.linalg.norm(weight.double()))
    if match == "preactivation":
        return float((inputs @ weight.double().T).var(dim=0, unbiased=False).mean())
    raise ValueError(f"match must be one of {', '.join(MATCHES)}, got {match!r}")


def _scale_to(size: float, weight: torch.Tensor, match: str, inputs) -> float:
    """The factor that brings ``weight``'s size to ``size`` (a variance scales as its square)."""
    own = layer_size(weight, match, inputs)
    if own <= 0.0:
        raise ValueError("the layer has no size left to scale (all its weights are zero)")
    ratio = size / own
    return math.sqrt(ratio) if match == "preactivation" else ratio


def layer_controls(
    params: TicketParams,
    layer: int,
    mask: Mask,
    fraction: float = 0.2,
    generator: torch.Generator | None = None,
    match: str = "norm",
    side: int | None = None,
    omega_0: float = 30.0,
) -> dict[str, Control]:
    """The four perturbations of Linear layer ``layer`` (0 feeds the first hidden layer) of a
    trained network ``params`` under ``mask``, every other layer untouched, nothing retrained:
    ``largest`` and ``smallest`` remove ``round(fraction * alive)`` of the layer's alive weights
    by magnitude (``largest-layer`` and ``smallest-layer`` applied to this layer alone);
    ``random-normed`` removes as many at random (drawn by ``generator``) and scales the
    survivors; ``scaled`` scales the layer; both to the size ``largest`` leaves (``match``:
    ``"norm"`` or ``"preactivation"``, which needs the grid ``side``)."""
    if match == "preactivation" and side is None:
        raise ValueError("matching the pre-activation needs the grid's side")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    base = masked(params, mask)
    w = base[layer][0]
    inputs = layer_inputs(base, layer, side, omega_0) if match == "preactivation" else None

    def pruned(strategy: str) -> Mask:
        new = prune_step([w], [mask[layer]], strategy, fraction, generator)[0]
        return [new if l == layer else m.clone() for l, m in enumerate(mask)]

    def with_layer(new_mask: Mask, scale: float) -> Control:
        out = masked(base, new_mask)
        out[layer] = (out[layer][0] * scale, out[layer][1])
        return Control(masked(out, new_mask), new_mask, scale)  # masked again: +0.0, never -0.0

    largest = with_layer(pruned("largest-layer"), 1.0)
    size = layer_size(largest.params[layer][0], match, inputs)
    random_mask = pruned("random")
    survivors = masked(base, random_mask)[layer][0]
    own_mask = [m.clone() for m in mask]
    return {
        "largest": largest,
        "smallest": with_layer(pruned("smallest-layer"), 1.0),
        "random-normed": with_layer(random_mask, _scale_to(size, survivors, match, inputs)),
        "scaled": with_layer(own_mask, _scale_to(size, w, match, inputs)),
    }


@torch.no_grad()
def output_high_share(params, side: int, omega_0: float = 30.0, cutoff: float = HFE_CUTOFF):
    """Share of the output image's power above ``cutoff`` x Nyquist, with the same spectrum as
    the hidden layers' (:func:`lthsiren.chapters.spectra.power_spectrum`: the three colour
    channels as three maps, mean removed, Hann-windowed); NaN for a flat image."""
    layers = [(w.double(), b.double()) for w, b in params]
    out = forward(layers, coordinate_grid(side).double(), omega_0)
    return high_share(power_spectrum(out.T.reshape(-1, side, side)), cutoff)


def control_rows(
    params, mask, side: int, omega_0: float = 30.0, layers=None, seed: int = 0, **kw
) -> list[dict]:
    """Spectra of one trained network and of its four controls at each Linear layer of
    ``layers`` (default: every layer but the output), one row per (control, perturbed layer,
    hidden layer), as :func:`lthsiren.chapters.spectra.run_spectra` gives them: ``stage``
    ("dense" for the network itself, "pruned" for a control: nothing retrained), ``ticket``
    (the control's name), ``layer`` (hidden layer, from 1), ``high_share``, ``variance``, plus
    ``perturbed`` (the hidden layer the perturbed weights feed, from 1; 0 for the network
    itself), ``scale`` and ``output_high_share``. ``kw`` goes to :func:`layer_controls`; the
    random draw is seeded by ``seed`` and the layer."""
    layers = range(len(params) - 1) if layers is None else layers
    rows = []

    def add(stage, name, perturbed, scale, net):
        s = layer_spectra(net, side, omega_0)
        out_share = output_high_share(net, side, omega_0)
        for hidden, (share, var) in enumerate(zip(s["high_share"], s["variance"]), start=1):
            rows.append(
                {
                    "stage": stage,
                    "ticket": name,
                    "seed": seed,
                    "layer": hidden,
                    "high_share": share,
                    "variance": var,
                    "perturbed": perturbed,
                    "scale": scale,
                    "output_high_share": out_share,
                }
            )

    add("dense", "dense", 0, 1.0, masked(params, mask))
    for l in layers:
        gen = derived_generator(CONTROL_SEED_OFFSET, seed, l)
        controls = layer_controls(params, l, mask, generator=gen, side=side, omega_0=omega_0, **kw)
        for name, c in controls.items():
            add("pruned", name, l + 1, c.scale, c.params)
    return rows


def run_layer_controls(run, k: int = 0, ticket: str = "winner", layers=None, **kw) -> list[dict]:
    """:func:`control_rows` of one ticket's network trained in round ``k`` of a stored run (by
    default the dense net of round 0), for each of the run's seeds; each row also names its
    ``round``: ``k + 1``, as a prune of round ``k``'s weights is labelled in
    :func:`lthsiren.chapters.spectra.run_spectra`, and ``k`` for the unperturbed network."""
    cfg = run.config()
    masks, trained = run.round_state(k)
    rows = []
    for seed in cfg.seeds:
        t = ticket_index(cfg, ticket, seed)
        for row in control_rows(
            unstack(trained, t), mask_of(masks, t), cfg.side, cfg.omega_0, layers, seed, **kw
        ):
            rows.append({**row, "round": k if row["stage"] == "dense" else k + 1})
    return rows
