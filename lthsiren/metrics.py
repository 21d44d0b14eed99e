"""How good is a reconstruction: PSNR, high-frequency energy (HFE) and the 2-D spectrum.

All functions take images ``[side, side, 3]`` on the network's [-1, 1] scale and clamp the
reconstruction to [-1, 1] first (a SIREN's output is unbounded; a screen is not).

- **PSNR** is computed on the [0, 1] scale: ``10 log10(1 / MSE)`` with both images mapped by
  ``(x + 1) / 2``. (On the [-1, 1] scale the same images would score 6.02 dB higher.)
- **HFE** (high-frequency energy retained) is our definition, since the write-up gives none:
  the spectral energy of the reconstruction above a radial cut-off frequency, as a percentage of
  the target's energy above the same cut-off. The cut-off is ``cutoff`` times the Nyquist
  frequency (default 0.25, i.e. spatial frequencies above 1/8 cycle per pixel, periods shorter
  than 8 pixels). The target scores 100%, a constant image 0%, a blurred image less than a sharp
  one; a noisy reconstruction can score above 100%. A target with no energy above the cut-off
  (a flat colour) has no detail to keep: its HFE is defined as 100% for every reconstruction.
  Notebook 04 uses it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

HFE_CUTOFF = 0.25


def _as_tensor(img) -> torch.Tensor:
    return torch.as_tensor(np.asarray(img) if not torch.is_tensor(img) else img).float().cpu()


def to_unit(img) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped: what is shown and scored."""
    return (_as_tensor(img).clamp(-1.0, 1.0) + 1.0) / 2.0


def psnr(recon, target) -> float:
    """PSNR in dB on the [0, 1] scale, after clamping the reconstruction."""
    mse = float(torch.mean((to_unit(recon) - to_unit(target)) ** 2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(1.0 / mse)


def _power(img: torch.Tensor) -> torch.Tensor:
    """Power spectrum summed over channels, ``[side, side]``, unshifted."""
    return (torch.fft.fft2(img.permute(2, 0, 1).double()).abs() ** 2).sum(0)


def radial_frequency(side: int) -> torch.Tensor:
    """``[side, side]`` radial spatial frequency of each (unshifted) FFT bin, in cycles per
    pixel: 0 at DC, 0.5 at the Nyquist frequency along an axis."""
    f = torch.fft.fftfreq(side, dtype=torch.float64)
    return torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2)


def high_band(side: int, cutoff: float = HFE_CUTOFF) -> torch.Tensor:
    """Boolean ``[side, side]`` mask of the (unshifted) frequencies above ``cutoff * Nyquist``."""
    return radial_frequency(side) > cutoff * 0.5


def high_frequency_energy(img, cutoff: float = HFE_CUTOFF) -> float:
    """Spectral energy of ``img`` above the cut-off (arbitrary units)."""
    img = to_unit(img)
    return float(_power(img)[high_band(img.shape[0], cutoff)].sum())


def hfe(recon, target, cutoff: float = HFE_CUTOFF) -> float:
    """High-frequency energy of ``recon`` as a percentage of the target's (target = 100%)."""
    target = to_unit(target)
    power = _power(target)
    reference = float(power[high_band(target.shape[0], cutoff)].sum())
    # flat: rounding leaves ~1e-32 of the DC power in the other bins; real detail is far above
    if reference <= 1e-20 * float(power.sum()):
        return 100.0
    return 100.0 * high_frequency_energy(recon, cutoff) / reference


def log_spectrum(img) -> np.ndarray:
    """``log10(1 + |FFT|)`` of the clamped image, centred (DC in the middle), summed over
    channels: the picture of which frequencies an image holds."""
    return np.fft.fftshift(np.log10(1.0 + _power(to_unit(img)).sqrt().numpy()))
