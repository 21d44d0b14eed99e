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
  The anti-IMP chapter uses it.
- **Reference HFE** (``hfe(..., definition="reference")`` or :func:`hfe_reference`) is the
  definition the published implementation used, as docs/reference.md records it from its plotting
  code: 8-bit grayscale, |FFT| magnitudes (not power) summed outside a radius of 25 px around DC at
  256x256. It is there to compare our numbers with the write-up's; ours stays the default.
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


def power_spectrum(img: torch.Tensor) -> torch.Tensor:
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
    return float(power_spectrum(img)[high_band(img.shape[0], cutoff)].sum())


def hfe(recon, target, cutoff: float = HFE_CUTOFF, definition: str = "ours") -> float:
    """High-frequency energy of ``recon`` as a percentage of the target's (target = 100%).

    ``definition="ours"`` (the default) is the power above ``cutoff * Nyquist``, summed over the
    RGB channels; ``definition="reference"`` is :func:`hfe_reference`, which has no ``cutoff``."""
    if definition == "reference":
        if cutoff != HFE_CUTOFF:
            raise ValueError("the reference HFE has a fixed radius: cutoff does not apply to it")
        return hfe_reference(recon, target)
    if definition != "ours":
        raise ValueError(f"unknown HFE definition {definition!r}: use 'ours' or 'reference'")
    target = to_unit(target)
    power = power_spectrum(target)
    reference = float(power[high_band(target.shape[0], cutoff)].sum())
    # flat: rounding leaves ~1e-32 of the DC power in the other bins; real detail is far above
    if reference <= 1e-20 * float(power.sum()):
        return 100.0
    return 100.0 * high_frequency_energy(recon, cutoff) / reference


HFE_REFERENCE_RADIUS = 25.0  # pixels around DC ...
HFE_REFERENCE_SIDE = 256  # ... at this side; scaled in proportion for other sides


def to_gray8(img) -> np.ndarray:
    """A ``[side, side, 3]`` image on [-1, 1] as an 8-bit grayscale ``[side, side]`` array.

    Clamped to [-1, 1], mapped to [0, 255] by ``(x + 1) * 127.5`` and rounded to the nearest
    integer (halves up), then ITU-R 601-2 luma ``0.299 R + 0.587 G + 0.114 B`` in the 16-bit
    fixed point of PIL's ``convert("L")`` (weights 19595, 38470, 7471 / 65536, rounded to nearest).
    A ``[side, side]`` or ``[side, side, 1]`` image is taken as grey already (no luma step)."""
    x = _as_tensor(img).double().clamp(-1.0, 1.0).numpy()
    u8 = np.floor((x + 1.0) * 127.5 + 0.5).astype(np.int64)
    if u8.ndim == 3 and u8.shape[-1] == 1:
        u8 = u8[..., 0]
    if u8.ndim == 3 and u8.shape[-1] == 3:
        r, g, b = u8[..., 0], u8[..., 1], u8[..., 2]
        u8 = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
    if u8.ndim != 2:
        raise ValueError(f"expected an image [side, side, 3] or [side, side], got {x.shape}")
    return u8.astype(np.uint8)


def reference_high_band(side: int) -> np.ndarray:
    """Boolean ``[side, side]`` mask of the (unshifted) FFT bins strictly farther than
    ``25 * side / 256`` bins from DC: the reference HFE's band."""
    k = np.arange(side)
    k = np.minimum(k, side - k)  # distance of each bin index from DC, wrapping around
    radius = HFE_REFERENCE_RADIUS * side / HFE_REFERENCE_SIDE
    return (k[:, None] ** 2 + k[None, :] ** 2) > radius**2


def _reference_energy(gray: np.ndarray) -> tuple[float, float]:
    """(|FFT| summed over the reference's band, |DC|) of an 8-bit grayscale image."""
    if gray.shape[0] != gray.shape[1]:
        raise ValueError(f"the reference HFE needs a square image, got {gray.shape}")
    mag = np.abs(np.fft.fft2(gray.astype(np.float64)))
    return float(mag[reference_high_band(gray.shape[0])].sum()), float(mag[0, 0])


def hfe_reference(recon, target) -> float:
    """High-frequency energy of ``recon`` as a percentage of the target's, as the reference
    implementation defines it (docs/reference.md records it from its plotting code).

    Both images become 8-bit grayscale (:func:`to_gray8`); the FFT magnitudes ``|F|`` (not the
    power) are summed over the frequencies strictly outside a circle of radius 25 px around DC
    at 256x256 (about 0.195 of Nyquist), ``25 * side / 256`` px at another side; the result is
    ``100 * sum(recon) / sum(target)``. It differs from ours (:func:`hfe`) in weighing one
    grayscale channel, rounded to 8 bits, by amplitude, with a lower cut-off, where ours sums
    the power of the three unrounded colour channels above a quarter of Nyquist. Like ours, a
    target with no energy in the band (flat once in 8-bit grey) scores 100% for every
    reconstruction: the reference's own ratio would divide by zero there."""
    rec, tgt = to_gray8(recon), to_gray8(target)
    if rec.shape != tgt.shape:
        raise ValueError(f"recon {rec.shape} and target {tgt.shape} differ in size")
    reference, dc = _reference_energy(tgt)
    # flat: the FFT of a constant leaves rounding noise far below its DC in the other bins
    if reference <= 1e-9 * dc:
        return 100.0
    return 100.0 * _reference_energy(rec)[0] / reference


def log_spectrum(img) -> np.ndarray:
    """``log10(1 + |FFT|)`` of the clamped image, centred (DC in the middle), summed over
    channels: the picture of which frequencies an image holds."""
    return np.fft.fftshift(np.log10(1.0 + power_spectrum(to_unit(img)).sqrt().numpy()))
