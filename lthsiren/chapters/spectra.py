"""Per-layer activation spectra: which spatial frequencies each hidden layer of a SIREN carries.

The write-up's claim 1 says that in a SIREN "magnitude acts as frequency": the largest weights are
the ones
that make the high frequencies, so removing them removes those first. To look, we treat each
hidden neuron's activation over the pixel grid as a small image, take its 2-D power spectrum
(mean removed, so a constant neuron has no power at all), average those spectra over the neurons
of the layer, and ask what share of the layer's power lies above a radial cut-off. Each map is
multiplied by a 2-D Hann window before the FFT: the FFT treats a map as periodic, and without the
window the jump between opposite edges of a smooth ramp would leak power into every frequency
(we measured a share of 0.13 above the cut-off for nearly linear maps). The cut-off
is the one HFE uses (:data:`lthsiren.metrics.HFE_CUTOFF`, 0.25 of the Nyquist frequency), so
"high frequency" means the same thing for a layer as for the picture. The open-questions chapter
plots these.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import coordinate_grid
from ..metrics import HFE_CUTOFF, high_band, radial_frequency
from ..network.model import forward
from ..network.pruning import rewind
from ..network.ticket import TICKET_NAMES, mask_of, ticket_index, unstack


@torch.no_grad()
def hidden_activations(params, side: int, omega_0: float = 30.0) -> list[torch.Tensor]:
    """Activations ``[width, side, side]`` of each hidden (sine) layer of one SIREN."""
    hidden: list = []
    layers = [(w.double(), b.double()) for w, b in params]
    forward(layers, coordinate_grid(side).double(), omega_0, hidden=hidden)
    return [h.T.reshape(-1, side, side) for _, h in hidden]


def hann2d(side: int) -> torch.Tensor:
    """The separable 2-D Hann window ``[side, side]``."""
    w = torch.hann_window(side, periodic=False, dtype=torch.float64)
    return w[:, None] * w[None, :]


def power_spectrum(maps: torch.Tensor) -> torch.Tensor:
    """Mean over maps ``[n, side, side]`` of the power spectrum of each mean-removed,
    Hann-windowed map, ``[side, side]``, unshifted (DC at [0, 0]). Normalised so that the sum
    over frequencies is ``side**2`` times the maps' (windowed) mean variance."""
    side = maps.shape[-1]
    window = hann2d(side).to(maps.dtype)
    centred = (maps - maps.mean(dim=(-2, -1), keepdim=True)) * window
    return (torch.fft.fft2(centred).abs() ** 2).mean(0) / float((window**2).mean())


def high_share(power: torch.Tensor, cutoff: float = HFE_CUTOFF) -> float:
    """Share of the power above ``cutoff`` x Nyquist; NaN for a layer with no power at all
    (every neuron constant), where the share means nothing."""
    total = float(power.sum())
    if total <= 1e-20:
        return float("nan")
    return float(power[high_band(power.shape[-1], cutoff)].sum()) / total


def radial_profile(power: torch.Tensor, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean power in rings of radial frequency: (ring centres as a fraction of Nyquist, power).
    Rings past Nyquist along the axes (the corners of the spectrum) are dropped."""
    side = power.shape[-1]
    bins = bins or side // 2
    radius = radial_frequency(side) / 0.5  # 1.0 = Nyquist
    edges = np.linspace(0.0, 1.0, bins + 1)
    r, p = radius.numpy().ravel(), power.double().numpy().ravel()
    prof = np.array(
        [
            p[(r > lo) & (r <= hi)].mean() if ((r > lo) & (r <= hi)).any() else 0.0
            for lo, hi in zip(edges[:-1], edges[1:])
        ]
    )
    return 0.5 * (edges[:-1] + edges[1:]), prof


def layer_spectra(params, side: int, omega_0: float = 30.0, cutoff: float = HFE_CUTOFF) -> dict:
    """Per hidden layer of one SIREN: its mean power spectrum, total power (the neurons' mean
    variance over the image) and high-frequency share."""
    spectra = [power_spectrum(a) for a in hidden_activations(params, side, omega_0)]
    return {
        "power": spectra,
        "variance": [float(p.sum()) / side**4 for p in spectra],
        "high_share": [high_share(p, cutoff) for p in spectra],
    }


def masked(params, mask) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``params`` with the weights ``mask`` removes set to 0 and nothing retrained: the direct
    effect of a prune. The same operation as :func:`lthsiren.network.pruning.rewind`, applied to
    trained weights instead of ``theta0``."""
    return rewind(params, mask)


def run_spectra(run, rounds=(1, 2), strategies=("smallest", "random", "largest")) -> list[dict]:
    """Layer spectra of a stored run, one row per (stage, ticket, seed, layer):

    - ``dense``: the dense net trained in round 0 (every ticket of a seed has the same one; the
      rows name the first of ``strategies``);
    - ``pruned``: round ``k``'s mask applied to the weights trained in round ``k - 1``, nothing
      retrained (what the prune itself removed);
    - ``retrained``: the ticket trained in round ``k`` (rewound and trained under that mask).
    """
    cfg = run.config()
    states = {k: run.round_state(k) for k in range(max(rounds) + 1)}
    rows = []

    def add(stage, k, strategy, seed, params):
        s = layer_spectra(params, cfg.side, cfg.omega_0)
        for layer, (share, var) in enumerate(zip(s["high_share"], s["variance"]), start=1):
            rows.append(
                {
                    "stage": stage,
                    "round": k,
                    "ticket": TICKET_NAMES[strategy],
                    "seed": seed,
                    "layer": layer,
                    "high_share": share,
                    "variance": var,
                }
            )

    for seed in cfg.seeds:
        t = ticket_index(cfg, strategies[0], seed)
        add("dense", 0, strategies[0], seed, unstack(states[0][1], t))
        for k in rounds:
            masks = states[k][0]
            for strategy in strategies:
                t = ticket_index(cfg, strategy, seed)
                before = unstack(states[k - 1][1], t)
                add("pruned", k, strategy, seed, masked(before, mask_of(masks, t)))
                add("retrained", k, strategy, seed, unstack(states[k][1], t))
    return rows
