import math

import pytest
import torch

import lthsiren as L
from lthsiren.network.model import layer_sizes


def test_parameter_count_matches_spec():
    assert L.parameter_count(256, 5) == {"weights": 197_888, "biases": 1_027, "total": 198_915}
    net = L.Siren(width=256, depth=5)
    assert sum(p.numel() for p in net.parameters()) == 198_915


@pytest.mark.parametrize("width,omega_0", [(256, 30.0), (64, 30.0), (128, 10.0)])
def test_init_bounds_per_layer(width, omega_0):
    params = L.init_params(width, 5, omega_0, seed=3)
    for i, ((w, b), (n_in, n_out)) in enumerate(zip(params, layer_sizes(width, 5))):
        assert w.shape == (n_out, n_in) and b.shape == (n_out,)
        bound = 1.0 / n_in if i == 0 else math.sqrt(6.0 / n_in) / omega_0
        assert w.abs().max() <= bound
        # the draw fills its interval: not a narrower distribution by mistake
        assert w.abs().max() > 0.9 * bound
        assert b.abs().max() <= 1.0 / math.sqrt(n_in)


def test_output_layer_uses_the_sine_layer_bound():
    w_out = L.init_params(256, 5, 30.0, 0)[-1][0]
    assert w_out.abs().max() <= math.sqrt(6 / 256) / 30


def test_init_is_a_function_of_the_seed_alone():
    a = L.init_params(64, 5, 30.0, seed=7)
    torch.manual_seed(123)  # the global RNG must not matter
    torch.rand(10)
    b = L.init_params(64, 5, 30.0, seed=7)
    c = L.init_params(64, 5, 30.0, seed=8)
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(a, b))
    assert not torch.equal(a[1][0], c[1][0])


def test_module_holds_init_params_and_computes_a_siren():
    net = L.Siren(width=32, depth=5, omega_0=30.0, seed=5)
    for lin, (w, b) in zip(net.linears(), L.init_params(32, 5, 30.0, 5)):
        assert torch.equal(lin.weight, w) and torch.equal(lin.bias, b)
    x = L.coordinate_grid(8)
    h = x
    for w, b in net.params()[:-1]:
        h = torch.sin(30.0 * (h @ w.T + b))
    w, b = net.params()[-1]
    torch.testing.assert_close(net(x), h @ w.T + b)


def test_preactivations_stay_standard_normal_under_the_paper_init():
    # The paper's claim, checked loosely: omega_0 * W h, the weight part of a hidden layer's
    # pre-activation, has a standard deviation of about 1 at every depth. (PyTorch's default
    # bias adds omega_0 * b with sd 30 / (16 * sqrt(3)) ~ 1.08 on top at width 256.)
    net = L.Siren(width=256, depth=5, seed=0)
    h = L.coordinate_grid(64)
    with torch.no_grad():
        for layer in list(net.net)[:-1]:
            if layer is not net.net[0]:
                assert 0.85 < float((layer.omega_0 * h @ layer.linear.weight.T).std()) < 1.15
            h = layer(h)
