"""The notebooks' helpers: what one chapter of the series needs and ``lthsiren run`` does not.

Each module names the chapter it serves by its title (so a renumbering touches only the
notebooks and the README); none of them is imported by the core.

- :mod:`~lthsiren.chapters.probe`: a SIREN's layers at initialisation (the SIREN chapter);
- :mod:`~lthsiren.chapters.baselines`: ReLU and Fourier-feature MLPs and a plain fit loop
  (the SIREN chapter and the spectral-bias chapter);
- :mod:`~lthsiren.chapters.explorer`: the sparsity explorer widget (the IMP and
  anti-IMP chapters);
- :mod:`~lthsiren.chapters.compact`: a sparse ticket as a smaller dense network (the compression
  chapter);
- :mod:`~lthsiren.chapters.ratedistortion`: ticket files against JPEG and WebP (the compression
  chapter);
- :mod:`~lthsiren.chapters.spectra`: per-layer activation spectra (the open-questions chapter);
- :mod:`~lthsiren.chapters.layercontrols`: norm-matched controls for the per-layer spectra
  (the open-questions chapter);
- :mod:`~lthsiren.chapters.instability`: linear-path error barrier between two copies trained
  in different pixel orders (the open-questions chapter);
- :mod:`~lthsiren.chapters.stats`: sign test and paired t interval over seeds (the
  open-questions and ReLU-and-transfer chapters);
- :mod:`~lthsiren.chapters.transfer`: a winning mask trained on another image (the
  ReLU-and-transfer chapter).
"""
