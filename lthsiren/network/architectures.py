"""One spec per network, and the registry that a ``Config``'s ``model`` names.

An :class:`Architecture` says everything the rest of the package asks about a network: its
Linear layers' sizes, its fresh parameters for a seed, what its first layer sees (the
coordinates, or a fixed Fourier encoding of them), its activation and the scale of its hidden
pre-activations (what :func:`lthsiren.network.model.forward` and the batched engine apply), and the
settings it cannot work with. Everything that builds, sizes, checks or trains a network goes
through :func:`architecture` (``cfg.model``) rather than testing the name.

Two are registered: ``siren`` (the paper's network) and ``relu-ff`` (a ReLU MLP on Fourier
features, the comparison of the spectral-bias chapter and the ReLU-and-transfer chapter);
:mod:`lthsiren.network.model` describes both. A
new network is a subclass (or instance) plus one :func:`register` call: ``make_config(model=...)``
accepts it and ``run_experiment`` trains it, provided its activation is one the engine knows
(``sine`` or ``relu``). tests/test_architectures.py registers a toy one end to end.

The cfg-level helpers :func:`init_network`, :func:`encoding_of`, :func:`network_inputs`,
:func:`activation` and :func:`forward_scale` are one-line lookups of ``cfg``'s spec; they can
also be imported from :mod:`lthsiren.network.model`, where they used to live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from ..errors import LthsirenError
from .model import (
    FOURIER_SEED,
    draw_uniform,
    fourier_encode,
    fourier_matrix,
    layer_sizes,
    linear_default_bounds,
    relu_layer_sizes,
    siren_bounds,
)

ACTIVATIONS = ("sine", "relu")  # what forward and the engine apply after a hidden layer

Params = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Architecture(ABC):
    """A network of ``cfg``'s size. Its methods read only the network fields of a Config
    (``width``, ``depth``, ``omega_0``, ``ff_sigma``). ``siren_layout``: its parameters are a
    plain SIREN's (sine layers on raw coordinates), so :class:`lthsiren.network.model.Siren`, the
    codecs and :mod:`lthsiren.interop` can hold them."""

    name: str
    activation: str
    siren_layout: bool = False

    @abstractmethod
    def layer_sizes(self, cfg) -> list[tuple[int, int]]:
        """(n_in, n_out) of each Linear layer, the output layer last."""

    @abstractmethod
    def init_bounds(self, cfg) -> list[tuple[float, float]]:
        """``(weight bound, bias bound)`` of each layer's ``U(-bound, bound)`` init."""

    def init(self, cfg, seed: int) -> Params:
        """Fresh ``[(W, b), ...]`` drawn with ``seed`` within :meth:`init_bounds`
        (:func:`lthsiren.network.model.draw_uniform`)."""
        return draw_uniform(self.layer_sizes(cfg), self.init_bounds(cfg), seed)

    def encoding(self, cfg) -> torch.Tensor | None:
        """The fixed Fourier matrix ``B`` the coordinates go through first, or None."""
        return None

    def inputs(self, cfg, coords: torch.Tensor) -> torch.Tensor:
        """What the first Linear layer sees for ``coords [N, 2]``."""
        B = self.encoding(cfg)
        return coords if B is None else fourier_encode(coords, B).contiguous()

    def scale(self, cfg) -> float:
        """The factor of every hidden pre-activation: omega_0 before a sine, 1 before a ReLU."""
        return float(cfg.omega_0) if self.activation == "sine" else 1.0

    def check(self, cfg) -> None:
        """Raise :class:`LthsirenError` for settings this network cannot take (none by default;
        the Config's own checks have run before, so the fields are numbers of the right kind)."""
        return None


@dataclass(frozen=True)
class SirenArchitecture(Architecture):
    """``depth`` Linear layers, sine after all but the last, the paper's init."""

    name: str = "siren"
    activation: str = "sine"
    siren_layout: bool = True

    def layer_sizes(self, cfg) -> list[tuple[int, int]]:
        return layer_sizes(cfg.width, cfg.depth)

    def init_bounds(self, cfg) -> list[tuple[float, float]]:
        return siren_bounds(self.layer_sizes(cfg), cfg.omega_0)


@dataclass(frozen=True)
class ReluFourierArchitecture(Architecture):
    """A ReLU MLP on ``width // 2`` Fourier features of scale ``ff_sigma``: the encoding takes
    the SIREN's first layer's place, so ``depth`` counts it and the MLP has ``depth - 1`` Linear
    layers. ``B`` comes from :data:`~lthsiren.network.model.FOURIER_SEED`, the same for every
    seed."""

    name: str = "relu-ff"
    activation: str = "relu"

    def layer_sizes(self, cfg) -> list[tuple[int, int]]:
        return relu_layer_sizes(cfg.width, cfg.depth)

    def init_bounds(self, cfg) -> list[tuple[float, float]]:
        return linear_default_bounds(self.layer_sizes(cfg))

    def encoding(self, cfg) -> torch.Tensor:
        return fourier_matrix(cfg.width // 2, cfg.ff_sigma, FOURIER_SEED)

    def check(self, cfg) -> None:
        if not (cfg.width >= 2 and cfg.width % 2 == 0):
            raise LthsirenError(
                f"--model {self.name} needs an even width (its Fourier encoding is width wide), "
                f"got {cfg.width}"
            )
        if cfg.depth < 3:
            raise LthsirenError(
                f"--model {self.name} needs depth >= 3 (the encoding replaces a layer), "
                f"got {cfg.depth}"
            )


# -- the registry ------------------------------------------------------------------------------

ARCHITECTURES: dict[str, Architecture] = {}


def register(arch: Architecture) -> Architecture:
    """Make ``arch`` what ``model=arch.name`` means; returns it. A name is registered once."""
    if not isinstance(arch, Architecture):
        raise TypeError(f"register takes an Architecture, got {type(arch).__name__}")
    if arch.activation not in ACTIVATIONS:
        raise ValueError(
            f"architecture {arch.name!r}: activation must be one of {ACTIVATIONS} (what the "
            f"engine runs), got {arch.activation!r}"
        )
    if arch.name in ARCHITECTURES:
        raise ValueError(f"an architecture named {arch.name!r} is already registered")
    ARCHITECTURES[arch.name] = arch
    return arch


def unregister(name: str) -> None:
    """Forget the architecture ``name`` (tests that register a toy one clean up with it)."""
    del ARCHITECTURES[name]


def architecture(name) -> Architecture:
    """The registered architecture ``name``; an unknown name is a one-line error."""
    arch = ARCHITECTURES.get(name) if isinstance(name, str) else None
    if arch is None:
        raise LthsirenError(f"unknown model {name!r}: choose {' or '.join(ARCHITECTURES)}")
    return arch


SIREN = register(SirenArchitecture())
RELU_FF = register(ReluFourierArchitecture())


# -- what a Config asks for ------------------------------------------------------------------


def init_network(cfg, seed: int) -> Params:
    """Fresh parameters of ``cfg.model`` drawn with ``seed``."""
    return architecture(cfg.model).init(cfg, seed)


def encoding_of(cfg) -> torch.Tensor | None:
    """The Fourier matrix of ``cfg``'s network, or None where it takes raw coordinates."""
    return architecture(cfg.model).encoding(cfg)


def network_inputs(cfg, coords: torch.Tensor) -> torch.Tensor:
    """What the first Linear layer sees: the coordinates, or their Fourier features."""
    return architecture(cfg.model).inputs(cfg, coords)


def activation(cfg) -> str:
    """The activation of ``cfg.model``'s hidden layers."""
    return architecture(cfg.model).activation


def forward_scale(cfg) -> float:
    """The factor of ``cfg.model``'s hidden pre-activations (omega_0 for sines, 1 for ReLUs)."""
    return architecture(cfg.model).scale(cfg)


def __getattr__(name: str):
    # MODELS, the registered names, read when asked for (lthsiren.network.model.MODELS is this)
    if name == "MODELS":
        return tuple(ARCHITECTURES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
