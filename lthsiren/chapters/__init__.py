"""The notebooks' helpers: what one chapter of the series needs and ``lthsiren run`` does not.

Each module names the notebook it serves; none of them is imported by the core.

- :mod:`~lthsiren.chapters.probe`: a SIREN's layers at initialisation (notebook 01);
- :mod:`~lthsiren.chapters.baselines`: ReLU and Fourier-feature MLPs and a plain fit loop
  (notebooks 01 and 02);
- :mod:`~lthsiren.chapters.explorer`: the sparsity explorer widget (notebooks 03 and 04);
- :mod:`~lthsiren.chapters.compact`: a sparse ticket as a smaller dense network (notebook 06);
- :mod:`~lthsiren.chapters.ratedistortion`: ticket files against JPEG and WebP (notebook 06);
- :mod:`~lthsiren.chapters.spectra`: per-layer activation spectra (notebook 07);
- :mod:`~lthsiren.chapters.layercontrols`: norm-matched controls for the per-layer spectra
  (notebook 07);
- :mod:`~lthsiren.chapters.instability`: linear-path error barrier between two copies trained
  in different pixel orders (notebook 07);
- :mod:`~lthsiren.chapters.stats`: sign test and paired t interval over seeds (notebooks 07, 08);
- :mod:`~lthsiren.chapters.transfer`: a winning mask trained on another image (notebook 08).
"""
