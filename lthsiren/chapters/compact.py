"""Turning a sparse ticket into a faster network: compaction and sparse matrix products.

A ticket's mask is unstructured, so with dense kernels a 1% network costs as much as the full
one: a pruned weight is a zero that still gets multiplied. But at high sparsity whole neurons
die, and a dead neuron can be removed outright:

- a hidden neuron with **no outgoing weights** feeds nothing: drop it (its row of ``W_l``, its
  bias, its column of ``W_{l+1}``);
- a hidden neuron with **no incoming weights** outputs the constant ``sin(omega_0 * b_j)`` for
  every pixel; its whole contribution to the next layer is ``W_{l+1}[:, j] * sin(omega_0 * b_j)``,
  which we add to the next layer's bias (*folding*), and then drop the neuron.

Dropping one neuron can strip another of its last weight, so :func:`compact_network` keeps the
neurons with a path to the output (:func:`lthsiren.network.compaction.reaching_output`, the rule
training and the codecs use, over the weights that are present) and then folds layer by layer from
the input, where a fold can leave the next layer's neuron constant in turn. What is left is a
smaller *dense* SIREN whose layers have different widths (:class:`CompactSiren`, drawn by
:func:`lthsiren.network.model.forward`;
:class:`lthsiren.network.model.Siren` assumes equal widths). It draws the same image as the masked
network up to float32 rounding: folding changes the order of a few additions, nothing else. A weight
counts as present when the mask keeps it and its value is not exactly zero (a kept zero contributes
nothing either).

:class:`SparseSiren` keeps the network as it is and stores each layer as a
``torch.sparse_csr_tensor``, so that each product touches the surviving weights only (every
neuron still computes its sine). All of them run the pixels in tiles, so the activations take
the same memory at any resolution; ``benchmarks/bench_render.py`` times them against the masked
dense network (:func:`masked_dense`), and the compression chapter shows them at work.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from ..codecs.render import render
from ..network.compaction import reaching_output
from ..network.model import TILE, forward
from ..network.pruning import rewind
from ..network.ticket import TicketParams, full_mask


def _masked(params, mask) -> TicketParams:
    """float32 copies of ``params`` with the pruned weights at +0.0 (no mask: all kept)."""
    layers = [
        (torch.as_tensor(w).detach().float(), torch.as_tensor(b).detach().float())
        for w, b in params
    ]
    if mask is None:
        mask = full_mask([w for w, _ in layers])
    return rewind(layers, [torch.as_tensor(m).to(w.device) for m, (w, _) in zip(mask, layers)])


@dataclass
class CompactSiren:
    """A dense SIREN whose layers may all have different widths.

    ``layers`` is ``[(W [out, in], b [out]), ...]``, float32; every layer but the last is
    followed by ``sin(omega_0 * .)``. ``kept[l]`` lists which neurons of the original hidden
    layer ``l`` survive (their original indices); ``folded[l]`` how many constant neurons of
    layer ``l`` went into the next layer's bias.
    """

    layers: TicketParams
    omega_0: float
    kept: list[torch.Tensor]
    folded: list[int]

    @property
    def widths(self) -> list[int]:
        """Input features, then the width of every layer: ``[2, 41, 38, ..., 3]``."""
        return [self.layers[0][0].shape[1]] + [w.shape[0] for w, _ in self.layers]

    def parameter_count(self) -> int:
        return sum(w.numel() + b.numel() for w, b in self.layers)

    @torch.no_grad()
    def forward(self, coords: torch.Tensor, tile: int = TILE) -> torch.Tensor:
        """Colours ``[N, C]`` (unclamped) at coordinates ``[N, 2]``."""
        return forward(self.layers, coords, self.omega_0, tile=tile)

    def render(self, side: int) -> torch.Tensor:
        """The image ``[side, side, C]`` on the [-1, 1] scale, unclamped."""
        return render(self.layers, side, self.omega_0)


@torch.no_grad()
def compact_network(params, mask=None, omega_0: float = 30.0) -> CompactSiren:
    """The smallest dense network that draws what the masked network draws (see module doc)."""
    layers = _masked(params, mask)
    reaches = reaching_output([w != 0 for w, _ in layers])
    kept = [torch.arange(w.shape[0]) for w, _ in layers[:-1]]
    folded = [0] * len(kept)
    # One pass from the input: a neuron loses inputs only when the layer before loses a constant
    # neuron, which that layer's own step has already folded.
    for l, reach in enumerate(reaches):
        (w, b), (w_next, b_next) = layers[l], layers[l + 1]
        has_in = (w != 0).any(dim=1)
        constant = reach & ~has_in
        if constant.any():
            # fold in float64, then round once: the sum the dense network computes in float32
            # differs from this only by rounding
            c = torch.sin(omega_0 * b[constant].double())
            b_next = (b_next.double() + w_next[:, constant].double() @ c).float()
            folded[l] = int(constant.sum())
        keep = reach & has_in
        layers[l] = (w[keep], b[keep])
        layers[l + 1] = (w_next[:, keep], b_next)
        kept[l] = kept[l][keep]
    return CompactSiren(layers, float(omega_0), kept, folded)


def alive_neurons(params, mask=None) -> list[int]:
    """How many neurons of each hidden layer survive :func:`compact_network` (its widths, less the
    input and output)."""
    return compact_network(params, mask).widths[1:-1]


class SparseSiren:
    """The masked network with each layer stored as a ``torch.sparse_csr_tensor``.

    Activations are kept as ``[features, pixels]`` so that each layer is one sparse-times-dense
    product, ``torch.addmm(b[:, None], W_csr, H)``, with the bias and omega_0 folded into the
    call the same way the dense engine does it.
    """

    def __init__(self, params, mask=None, omega_0: float = 30.0):
        self.omega_0 = float(omega_0)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            self.layers = [(w.to_sparse_csr(), b) for w, b in _masked(params, mask)]

    @classmethod
    def from_compact(cls, net: CompactSiren) -> SparseSiren:
        """A compacted network with its (smaller) layers stored sparse: both savings at once."""
        return cls(net.layers, None, net.omega_0)

    @property
    def nnz(self) -> int:
        return sum(int(w.values().numel()) for w, _ in self.layers)

    @torch.no_grad()
    def forward(self, coords: torch.Tensor, tile: int = TILE) -> torch.Tensor:
        return forward(self.layers, coords, self.omega_0, tile=tile)

    def render(self, side: int) -> torch.Tensor:
        return render(self.layers, side, self.omega_0)


def masked_dense(params, mask=None, omega_0: float = 30.0) -> CompactSiren:
    """The masked network as it is, every neuron kept, computed with dense matrices (pruned
    zeros multiplied like any weight): what a plain ``nn.Linear`` stack does, tiled like the
    others. The baseline of the render benchmark."""
    layers = _masked(params, mask)
    kept = [torch.arange(w.shape[0]) for w, _ in layers[:-1]]
    return CompactSiren(layers, float(omega_0), kept, [0] * len(kept))


def flops_per_pixel(net: CompactSiren) -> int:
    """Multiply-adds per pixel of a dense forward pass through ``net``."""
    return sum(w.numel() for w, _ in net.layers)


__all__ = [
    "TILE",
    "CompactSiren",
    "SparseSiren",
    "alive_neurons",
    "compact_network",
    "flops_per_pixel",
    "masked_dense",
]
