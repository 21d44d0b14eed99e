import math

import numpy as np
import pytest
import torch

import lthsiren as L
from lthsiren.metrics import hfe, high_band


def _blur(img, k=5):
    x = img.permute(2, 0, 1).unsqueeze(1)
    kernel = torch.ones(1, 1, k, k) / (k * k)
    return torch.nn.functional.conv2d(x, kernel, padding=k // 2).squeeze(1).permute(1, 2, 0)


def test_psnr_on_the_unit_scale():
    a = torch.zeros(8, 8, 3)  # 0.5 grey on [0, 1]
    b = torch.full((8, 8, 3), 0.2)  # 0.6 on [0, 1]: MSE 0.01 -> 20 dB
    assert math.isclose(L.psnr(b, a), 20.0, rel_tol=1e-6)
    assert L.psnr(a, a) == math.inf


def test_psnr_clamps_the_reconstruction():
    target = torch.ones(8, 8, 3)
    assert L.psnr(torch.full((8, 8, 3), 5.0), target) == math.inf


def test_hfe_of_target_constant_and_blurred(target):
    assert math.isclose(hfe(target, target), 100.0, rel_tol=1e-9)
    grey = torch.full_like(target, float(target.mean()))
    assert hfe(grey, target) == pytest.approx(0.0, abs=1e-9)
    soft, softer = hfe(_blur(target, 3), target), hfe(_blur(target, 7), target)
    assert 0 < softer < soft < 100


def test_hfe_cutoff_is_a_fraction_of_nyquist():
    band = high_band(64, 0.25)
    f = np.fft.fftfreq(64)
    assert not band[0, 0]  # DC
    assert not band[0, int(np.argmin(abs(f - 0.11)))]  # 0.109 cycles/pixel < 0.125
    assert band[0, int(np.argmin(abs(f - 0.14)))]  # 0.141 > 0.125
    assert band[32, 32]  # the corner: Nyquist on both axes


def test_log_spectrum_is_centred(target):
    s = L.log_spectrum(target)
    assert s.shape == (64, 64)
    assert np.unravel_index(np.argmax(s), s.shape) == (32, 32)  # DC in the middle
