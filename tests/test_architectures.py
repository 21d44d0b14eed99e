"""The network specs and their registry (lthsiren.network.architectures): the two registered
networks draw today's numbers, the registry names what a Config may ask for, the one uniform draw is
nn.Linear's, and a new architecture is one registration away from a full run."""

import hashlib
import math
from dataclasses import dataclass

import pytest
import torch

import lthsiren as L
from lthsiren.errors import LthsirenError
from lthsiren.interop import run_ticket_module
from lthsiren.network import architectures as A
from lthsiren.network import model as M
from lthsiren.training.budget import layers


def _digest(params) -> str:
    h = hashlib.sha256()
    for w, b in params:
        h.update(w.numpy().tobytes())
        h.update(b.numpy().tobytes())
    return h.hexdigest()[:16]


# Digests of init_network(make_config("tiny", width=16, side=8, model=...), 5) computed with the
# code before the specs existed: the specs must draw the very same numbers.
BEFORE = {"siren": "7222ab0b63d1833d", "relu-ff": "b8cd8311808efa85"}


@pytest.mark.parametrize("name", ["siren", "relu-ff"])
def test_the_registered_specs_draw_the_numbers_of_before(name):
    cfg = L.make_config("tiny", width=16, side=8, model=name)
    assert _digest(M.init_network(cfg, 5)) == _digest(A.architecture(name).init(cfg, 5))
    assert _digest(A.init_network(cfg, 5)) == BEFORE[name]


def test_the_specs_say_what_the_engine_and_forward_need():
    siren = L.make_config("tiny", width=16, side=8, omega_0=12.0)
    relu = L.make_config("tiny", width=16, side=8, model="relu-ff", ff_sigma=3.0)
    assert A.SIREN.layer_sizes(siren) == M.layer_sizes(16, 5) == layers(siren)
    assert A.RELU_FF.layer_sizes(relu) == [(16, 16), (16, 16), (16, 16), (16, 3)] == layers(relu)
    assert (A.activation(siren), A.forward_scale(siren)) == ("sine", 12.0)
    assert (A.activation(relu), A.forward_scale(relu)) == ("relu", 1.0)
    assert A.encoding_of(siren) is None
    assert torch.equal(A.encoding_of(relu), M.fourier_matrix(8, 3.0, M.FOURIER_SEED))
    coords = L.coordinate_grid(8)
    assert A.network_inputs(siren, coords) is coords
    assert A.network_inputs(relu, coords).shape == (64, 16)
    assert A.SIREN.siren_layout and not A.RELU_FF.siren_layout


def test_the_registry_is_what_a_config_may_name():
    assert tuple(A.ARCHITECTURES) == ("siren", "relu-ff") == M.MODELS
    with pytest.raises(LthsirenError, match=r"^unknown model 'x': choose siren or relu-ff$"):
        A.architecture("x")
    with pytest.raises(LthsirenError, match=r"^unknown model 'x': choose siren or relu-ff$"):
        L.make_config("tiny", model="x")
    with pytest.raises(ValueError, match="already registered"):
        A.register(A.SirenArchitecture())
    with pytest.raises(ValueError, match="activation must be one of"):
        A.register(A.SirenArchitecture(name="tanh-net", activation="tanh"))
    with pytest.raises(TypeError):
        A.Architecture("abstract", "sine")  # layer sizes and bounds are the spec's to say
    assert tuple(A.ARCHITECTURES) == ("siren", "relu-ff")


@pytest.mark.parametrize("n_in", [1, 2, 3, 16, 48, 128, 255, 256, 1000])
def test_the_uniform_draw_is_what_nn_linear_draws(n_in):
    # why the notebooks' baselines, once drawn by nn.Linear under torch.manual_seed, keep their
    # numbers now that they take the spec's draw
    sizes = [(n_in, 300), (300, 3)]
    torch.manual_seed(11)
    expected = [(lin.weight, lin.bias) for lin in (torch.nn.Linear(*s) for s in sizes)]
    state = torch.random.get_rng_state()
    got = M.draw_uniform(sizes, M.linear_default_bounds(sizes), 11)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is left alone
    for (w, b), (w2, b2) in zip(got, expected, strict=True):
        assert torch.equal(w, w2) and torch.equal(b, b2)


# -- a new architecture: one registration ------------------------------------------------------


@dataclass(frozen=True)
class WideFirstSiren(A.SirenArchitecture):
    """A SIREN whose first layer draws from U(-3/n_in, 3/n_in), three times the paper's."""

    name: str = "siren-wide-first"

    def init_bounds(self, cfg):
        (wb, bb), *rest = super().init_bounds(cfg)
        return [(3 * wb, bb), *rest]


@dataclass(frozen=True)
class NarrowingRelu(A.Architecture):
    """A ReLU MLP on raw coordinates whose hidden layers halve in width, on even widths."""

    name: str = "relu-narrowing"
    activation: str = "relu"

    def layer_sizes(self, cfg):
        widths = [2] + [max(1, cfg.width >> i) for i in range(cfg.depth - 1)] + [3]
        return list(zip(widths[:-1], widths[1:]))

    def init_bounds(self, cfg):
        return M.linear_default_bounds(self.layer_sizes(cfg))

    def check(self, cfg):
        if cfg.width % 2:
            raise LthsirenError(f"--model {self.name} needs an even width, got {cfg.width}")


@pytest.fixture
def registered():
    """Register the toy architectures for one test, and forget them after it."""
    archs = [A.register(WideFirstSiren()), A.register(NarrowingRelu())]
    yield archs
    for arch in archs:
        A.unregister(arch.name)
    assert tuple(A.ARCHITECTURES) == ("siren", "relu-ff")


TOY_RUN = dict(side=8, width=8, depth=4, steps=5, rounds=2, seeds=(3,))


def test_a_registered_siren_variant_runs_end_to_end(registered, tmp_path):
    wide, _ = registered
    assert wide.name in M.MODELS
    cfg = L.make_config("tiny", model=wide.name, **TOY_RUN)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert run.config().model == wide.name and run.completed_rounds() == 2
    theta0 = [(w[0], b[0]) for w, b in run.theta0()]
    assert _digest(theta0) == _digest(wide.init(cfg, 3))
    assert theta0[0][0].abs().max() > 1.0 / 2  # beyond the paper's first-layer bound, 1/n_in
    assert math.isclose(theta0[0][0].abs().max(), 3.0 / 2, rel_tol=0.2)
    assert torch.equal(theta0[1][0], A.SIREN.init(cfg, 3)[1][0])  # the rest is the SIREN's
    recs = run.records()
    assert {r["round"] for r in recs} == {0, 1} and all(math.isfinite(r["psnr"]) for r in recs)
    # its parameters are a SIREN's: the interop draws the stored ticket's picture
    net = run_ticket_module(run, 1)
    params, _ = run.ticket(1, 0)
    coords = L.coordinate_grid(8)
    with torch.no_grad():
        torch.testing.assert_close(net(coords), L.forward(params, coords, cfg.omega_0))


def test_a_registered_relu_network_runs_and_keeps_its_own_checks(registered, tmp_path):
    _, narrowing = registered
    with pytest.raises(LthsirenError, match="^--model relu-narrowing needs an even width, got 7$"):
        L.make_config("tiny", model=narrowing.name, **{**TOY_RUN, "width": 7})
    cfg = L.make_config("tiny", model=narrowing.name, **TOY_RUN)
    assert layers(cfg) == [(2, 8), (8, 4), (4, 2), (2, 3)]
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    masks, trained = run.round_state(0)
    assert [tuple(w.shape[1:]) for w, _ in trained] == [(o, i) for i, o in layers(cfg)]
    replay, _ = L.TicketTrainer(
        L.coordinate_grid(8), L.load_image(None, 8).flat(), activation="relu"
    ).fit(run.theta0(), masks, cfg.steps, cfg.lr)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(replay, trained))
    with pytest.raises(LthsirenError, match="holds relu-narrowing networks; pick a siren run"):
        run_ticket_module(run, 1)
