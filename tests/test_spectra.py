"""Per-layer activation spectra (lthsiren.chapters.spectra)."""

import math

import numpy as np
import pytest
import torch

import lthsiren as L
from lthsiren.chapters.spectra import (
    hann2d,
    hidden_activations,
    high_share,
    layer_spectra,
    masked,
    power_spectrum,
    radial_profile,
)

SIDE = 32


def _wave(cycles: float, side: int = SIDE, axis: int = 1, phase: float = 0.0) -> torch.Tensor:
    """One map ``[1, side, side]``: ``cycles`` periods of a sine across the grid along ``axis``."""
    x = torch.arange(side, dtype=torch.float64)
    line = torch.sin(2 * math.pi * cycles * x / side + phase)
    grid = line[None, :].expand(side, side) if axis == 1 else line[:, None].expand(side, side)
    return grid[None].clone()


def _windowed_variance(maps: torch.Tensor) -> float:
    w = hann2d(maps.shape[-1]).to(maps.dtype)
    centred = maps - maps.mean(dim=(-2, -1), keepdim=True)
    return float(((centred * w) ** 2).mean() / (w**2).mean())


def test_constant_maps_have_no_high_share():
    for value in (0.0, 0.3, -0.7):
        power = power_spectrum(torch.full((4, SIDE, SIDE), value, dtype=torch.float64))
        assert math.isnan(high_share(power))


def test_low_frequency_map_has_a_small_high_share():
    for axis in (0, 1):
        assert high_share(power_spectrum(_wave(1, axis=axis))) < 0.05
    assert high_share(power_spectrum(_wave(2, phase=0.4))) < 0.05


def test_high_frequency_map_has_a_large_high_share():
    for axis in (0, 1):
        assert high_share(power_spectrum(_wave(12, axis=axis))) > 0.9
    # a mix: half the power low, half high
    mix = _wave(1) + _wave(12, axis=0)
    assert 0.35 < high_share(power_spectrum(mix)) < 0.65


def test_cutoff_moves_the_band():
    # 3 cycles across 32 pixels is 0.19 of Nyquist: below the default cut-off of 0.25
    p = power_spectrum(_wave(3))
    assert high_share(p) < 0.1
    assert high_share(p, cutoff=0.1) > 0.9


def test_power_sum_is_the_windowed_variance():
    g = torch.Generator().manual_seed(0)
    maps = 0.7 + 0.1 * torch.randn(20, SIDE, SIDE, generator=g, dtype=torch.float64)
    p = power_spectrum(maps)
    assert p.shape == (SIDE, SIDE) and (p >= 0).all()
    assert math.isclose(float(p.sum()) / SIDE**4, _windowed_variance(maps), rel_tol=1e-10)
    # windowed or not, the variance of white noise is what it is
    assert abs(float(p.sum()) / SIDE**4 - 0.01) < 0.001
    # a constant offset changes nothing
    torch.testing.assert_close(power_spectrum(maps + 5.0), p, rtol=1e-9, atol=1e-12)
    # white noise: most of its power above 0.25 Nyquist (95% of the square is that band)
    assert 0.8 < high_share(p) < 1.0


def test_radial_profile_bins():
    p = power_spectrum(_wave(12))
    centres, prof = radial_profile(p)
    assert len(centres) == len(prof) == SIDE // 2
    assert (centres > 0).all() and (centres <= 1).all()
    assert np.all(np.diff(centres) > 0)
    assert (prof >= 0).all()
    # 12 cycles in 32 pixels is 0.75 of Nyquist: the peak ring is there
    assert abs(centres[int(np.argmax(prof))] - 0.75) <= 1.0 / (SIDE // 2)
    centres8, prof8 = radial_profile(p, bins=8)
    assert len(centres8) == len(prof8) == 8 and (centres8 > 0).all() and (centres8 <= 1).all()


@pytest.fixture(scope="module")
def siren():
    return L.Siren(width=16, depth=4, omega_0=30.0, seed=3)


def test_hidden_activations_match_the_siren_forward(siren):
    side = 16
    outs = []
    # the module's Linear layers (the sine follows them in the shared forward pass)
    hooks = [
        m.register_forward_hook(
            lambda _m, _i, out: outs.append(torch.sin(siren.omega_0 * out.detach()))
        )
        for m in siren.linears()[:-1]
    ]
    try:
        with torch.no_grad():
            siren(L.coordinate_grid(side))
    finally:
        for h in hooks:
            h.remove()
    acts = hidden_activations(siren.params(), side, siren.omega_0)
    assert len(acts) == len(outs) == 3
    for a, o in zip(acts, outs):
        assert a.shape == (16, side, side) and a.dtype == torch.float64
        torch.testing.assert_close(a.float(), o.T.reshape(16, side, side), rtol=0, atol=1e-4)


def test_hidden_activation_maps_are_in_image_orientation(siren):
    side = 16
    (w, b), *_ = siren.params()
    first = hidden_activations(siren.params(), side, 30.0)[0]
    axis = torch.linspace(-1.0, 1.0, side, dtype=torch.float64)
    j, r, c = 5, 2, 11  # neuron 5 at row 2 (y), column 11 (x)
    expected = math.sin(30.0 * (float(w[j, 0]) * axis[r] + float(w[j, 1]) * axis[c] + float(b[j])))
    assert math.isclose(float(first[j, r, c]), expected, abs_tol=1e-6)


def test_masked_zeros_exactly_the_masked_weights(siren):
    params = siren.params()
    g = torch.Generator().manual_seed(1)
    mask = [torch.rand(w.shape, generator=g) > 0.5 for w, _ in params]
    copies = [(w.clone(), b.clone()) for w, b in params]
    out = masked(params, mask)
    for (w, b), (w0, b0), m in zip(out, params, mask):
        assert torch.equal(w[m], w0[m])
        assert torch.count_nonzero(w[~m]) == 0 and not torch.signbit(w[~m]).any()
        assert torch.equal(b, b0)
    assert all(torch.equal(a[0], c[0]) for a, c in zip(params, copies))  # input left alone
    full = masked(params, [torch.ones_like(m) for m in mask])
    assert all(torch.equal(a[0], c[0]) for a, c in zip(full, params))


def test_layer_spectra_of_a_siren(siren):
    side = 16
    spec = layer_spectra(siren.params(), side, 30.0)
    acts = hidden_activations(siren.params(), side, 30.0)
    assert len(spec["power"]) == len(spec["variance"]) == len(spec["high_share"]) == 3
    for a, p, v, hs in zip(acts, spec["power"], spec["variance"], spec["high_share"]):
        assert p.shape == (side, side)
        assert math.isclose(v, _windowed_variance(a), rel_tol=1e-9)
        assert 0.0 < hs < 1.0 and hs == high_share(p)
    # a different cut-off gives a different share
    assert (
        layer_spectra(siren.params(), side, 30.0, cutoff=0.5)["high_share"][0]
        < (spec["high_share"][0])
    )


def test_layer_spectra_of_a_cut_network_is_nan(siren):
    # with the first layer pruned away every neuron is constant over the image
    params = siren.params()
    mask = [torch.zeros_like(params[0][0], dtype=torch.bool)] + [
        torch.ones_like(w, dtype=torch.bool) for w, _ in params[1:]
    ]
    spec = layer_spectra(masked(params, mask), 16, 30.0)
    assert all(math.isnan(h) for h in spec["high_share"])
    assert all(v < 1e-20 for v in spec["variance"])
