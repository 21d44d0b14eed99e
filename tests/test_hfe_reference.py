"""The reference implementation's HFE (SPEC.md): 8-bit grey, |FFT| outside 25 px at 256x256."""

import cmath
import math

import numpy as np
import pytest
import torch
from test_metrics import _blur

from lthsiren.metrics import hfe, hfe_reference, reference_high_band, to_gray8


def _grey_image(levels: np.ndarray) -> np.ndarray:
    """8-bit grey levels as a [side, side] image on [-1, 1]."""
    return levels.astype(np.float64) / 127.5 - 1.0


def test_target_scores_100_flat_scores_0_blur_scores_less(target):
    assert hfe_reference(target, target) == 100.0
    grey = torch.full_like(target, float(target.mean()))
    assert hfe_reference(grey, target) == pytest.approx(0.0, abs=1e-9)
    soft = hfe_reference(_blur(target, 3), target)
    softer = hfe_reference(_blur(target, 7), target)
    assert 0 < softer < soft < 100


def test_a_flat_target_has_no_detail_to_keep():
    flat = torch.full((16, 16, 3), 0.3)
    assert hfe_reference(flat + 0.2 * torch.randn(16, 16, 3), flat) == 100.0


def test_hand_computed_16x16():
    rng = np.random.default_rng(0)
    side = 16
    rec_levels = rng.integers(0, 256, (side, side))
    tgt_levels = rng.integers(0, 256, (side, side))
    radius = 25 * side / 256  # 1.5625: DC, its 4 neighbours and the 4 diagonals stay inside

    def outside_sum(x):
        total = 0.0
        for k in range(side):
            for q in range(side):
                coeff = sum(
                    x[m, n] * cmath.exp(-2j * math.pi * (k * m + q * n) / side)
                    for m in range(side)
                    for n in range(side)
                )
                ks, qs = (k if k <= side // 2 else k - side), (q if q <= side // 2 else q - side)
                if math.hypot(ks, qs) > radius:
                    total += abs(coeff)
        return total

    expected = 100.0 * outside_sum(rec_levels) / outside_sum(tgt_levels)
    got = hfe_reference(_grey_image(rec_levels), _grey_image(tgt_levels))
    assert got == pytest.approx(expected, rel=1e-9)


def test_band_radius_is_25_px_at_256_and_scales_with_the_side():
    band = reference_high_band(256)
    assert not band[0, 0] and not band[0, 25] and not band[7, 24]  # on the circle: inside
    assert band[0, 26] and band[0, 256 - 26] and band[18, 18]  # 25.46 > 25
    assert not band[-17, 17]  # 24.04, wrapped around to negative frequencies
    assert int((~reference_high_band(16)).sum()) == 9  # radius 1.5625 at side 16
    assert not reference_high_band(64)[0, 6] and reference_high_band(64)[0, 7]  # radius 6.25


def test_gray8_is_601_luma_rounded_like_pil():
    from PIL import Image

    rng = np.random.default_rng(1)
    img = rng.uniform(-1.05, 1.05, (32, 32, 3))  # a little outside [-1, 1]: clipped
    rgb8 = np.floor((np.clip(img, -1, 1) + 1) * 127.5 + 0.5).astype(np.uint8)
    pil = np.asarray(Image.fromarray(rgb8, "RGB").convert("L"))
    assert np.array_equal(to_gray8(img), pil)
    # pure primaries at full scale: 0.299, 0.587, 0.114 of 255
    prim = np.full((3, 3, 3), -1.0)
    for c in range(3):
        prim[c, :, c] = 1.0
    assert to_gray8(prim)[:, 0].tolist() == [76, 150, 29]


def test_a_colour_image_scores_as_its_hand_converted_grey(target):
    rng = np.random.default_rng(2)
    recon = target.numpy() + rng.normal(0, 0.1, target.shape)
    rgb = np.floor((np.clip(recon, -1, 1) + 1) * 127.5 + 0.5).astype(np.int64)
    grey = (19595 * rgb[..., 0] + 38470 * rgb[..., 1] + 7471 * rgb[..., 2] + 32768) >> 16
    by_colour = hfe_reference(recon, target)
    assert hfe_reference(_grey_image(grey), target) == by_colour
    assert hfe_reference(np.repeat(_grey_image(grey)[..., None], 3, -1), target) == by_colour
    assert hfe_reference(torch.as_tensor(recon), target) == by_colour


def test_hfe_selects_the_definition_and_keeps_ours_the_default(target):
    soft = _blur(target, 3)
    assert hfe(soft, target) == hfe(soft, target, definition="ours")
    assert hfe(soft, target, definition="reference") == hfe_reference(soft, target)
    assert hfe(soft, target, definition="reference") != hfe(soft, target)
    with pytest.raises(ValueError, match="unknown HFE definition"):
        hfe(soft, target, definition="blog")
    with pytest.raises(ValueError, match="cutoff"):
        hfe(soft, target, 0.5, definition="reference")
    with pytest.raises(ValueError, match="differ in size"):
        hfe_reference(soft[:32, :32], target)
