"""The baselines of notebook 02, the fit loop of notebooks 01 and 02, and the init probe."""

import math

import pytest
import torch

import lthsiren as L
from lthsiren.chapters.baselines import (
    FourierFeatures,
    FourierMLP,
    ReluMLP,
    count_parameters,
    fit,
    make_models,
    residual_by_frequency,
)
from lthsiren.chapters.probe import probe, probe_table, scaled_init, torch_default_init
from lthsiren.network.model import weight_bound


@pytest.fixture(scope="module")
def image16():
    return L.coordinate_grid(16), L.load_image(None, 16).pixels


def _same_params(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_output_shapes():
    x = L.coordinate_grid(8)
    for net in make_models(width=16, depth=5).values():
        assert net(x).shape == (64, 3)
    assert FourierFeatures(2, 10)(x).shape == (64, 20)


def test_parameter_counts_match_the_siren():
    assert count_parameters(ReluMLP(256, 5)) == L.parameter_count(256, 5)["total"] == 198_915
    counts = {name: count_parameters(net) for name, net in make_models(256, 5).items()}
    siren = counts["SIREN"]
    assert all(abs(c - siren) / siren < 0.01 for c in counts.values()), counts
    # the Fourier matrix is a fixed buffer, not a parameter
    ff = FourierMLP(32, 4)
    assert "encoding.B" in ff.state_dict()
    assert count_parameters(ff) == 32 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 3 + 3


def test_models_are_a_function_of_the_seed_alone():
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    a = ReluMLP(16, 4, seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)  # global RNG left alone
    torch.rand(5)
    assert _same_params(a, ReluMLP(16, 4, seed=3))
    assert not _same_params(a, ReluMLP(16, 4, seed=4))
    assert _same_params(FourierMLP(16, 4, seed=2), FourierMLP(16, 4, seed=2))


def test_fourier_features_are_deterministic_and_scaled():
    a, b = FourierFeatures(2, 4000, sigma=3.0, seed=1), FourierFeatures(2, 4000, sigma=3.0, seed=1)
    assert torch.equal(a.B, b.B)
    assert not torch.equal(a.B, FourierFeatures(2, 4000, sigma=3.0, seed=2).B)
    assert abs(float(a.B.std()) - 3.0) < 0.15
    x = L.coordinate_grid(4)
    phase = 2 * math.pi * x @ a.B.T
    torch.testing.assert_close(a(x), torch.cat([phase.cos(), phase.sin()], -1))


def test_fit_reduces_the_loss_and_records(image16):
    coords, img = image16
    net = L.Siren(width=16, depth=3, seed=0)
    res = fit(net, coords, img, steps=40, lr=1e-2, log_every=10, snapshot_steps=[0, 5, 40])
    assert res.steps == [0, 10, 20, 30, 40]
    assert len(res.psnr) == len(res.loss) == 5
    assert res.loss[-1] < 0.25 * res.loss[0]
    assert res.final_psnr > res.psnr[0] + 3
    assert res.final.shape == img.shape and set(res.snapshots) == {0, 5, 40}
    torch.testing.assert_close(res.snapshots[40], res.final)
    assert math.isclose(res.final_psnr, L.psnr(res.final, img))


def test_fit_snapshot_zero_is_the_untrained_net(image16):
    coords, img = image16
    net = ReluMLP(8, 3, seed=0)
    with torch.no_grad():
        before = net(coords).reshape(img.shape)
    res = fit(net, coords, img.reshape(-1, 3), steps=3, lr=1e-3, snapshot_steps=[0])
    torch.testing.assert_close(res.snapshots[0], before.reshape(-1, 3))
    with pytest.raises(ValueError):
        fit(net, coords, img, steps=3, lr=1e-3, snapshot_steps=[4])


def test_fit_is_deterministic(image16):
    coords, img = image16
    runs = [fit(FourierMLP(16, 3, seed=5), coords, img, 15, 1e-3, device="cpu") for _ in range(2)]
    assert torch.equal(runs[0].final, runs[1].final)
    assert runs[0].psnr == runs[1].psnr


def test_residual_by_frequency():
    img = L.load_image(None, 32).pixels
    centres, exact = residual_by_frequency(img, img, n_bands=4)
    assert centres.tolist() == pytest.approx([0.0625, 0.1875, 0.3125, 0.4375])
    assert exact.abs().max() < 1e-12
    flat = img.mean(dim=(0, 1), keepdim=True).expand_as(img)
    _, f = residual_by_frequency(flat, img, n_bands=4)
    assert f[1:].tolist() == pytest.approx([1.0, 1.0, 1.0])
    kernel = torch.ones(3, 1, 5, 5) / 25
    blur = torch.nn.functional.conv2d(img.permute(2, 0, 1)[None], kernel, padding=2, groups=3)
    _, f = residual_by_frequency(blur[0].permute(1, 2, 0), img, n_bands=4)
    assert f[0] < f[-1]


def test_probe_under_the_paper_init():
    coords = L.coordinate_grid(32)
    probes = probe(L.Siren(width=128, depth=5, seed=0), coords)
    assert len(probes) == 4
    assert all(p.activation.shape == (1024, 128) for p in probes)
    for p in probes:
        torch.testing.assert_close(p.activation, torch.sin(p.preact))
    rows = probe_table(probes)
    for row in rows[1:]:
        assert 0.85 < row["weight_part_std"] < 1.15
    for row in rows:
        assert abs(row["activation_std"] - 1 / math.sqrt(2)) < 0.05  # arcsine on [-1, 1]


def test_naive_inits_blow_up_or_collapse():
    coords = L.coordinate_grid(32)
    paper = probe_table(probe(L.Siren(width=128, depth=5, seed=0), coords))
    wide = probe_table(probe(torch_default_init(L.Siren(width=128, depth=5), seed=0), coords))
    assert all(row["weight_part_std"] > 5 for row in wide[1:])
    narrow = probe_table(probe(scaled_init(L.Siren(width=128, depth=5), 0.25, seed=0), coords))
    assert narrow[-1]["spatial_std"] < 0.1 * paper[-1]["spatial_std"]


def test_scaled_init_keeps_the_bounds():
    net = scaled_init(L.Siren(width=64, depth=5), 2.0, seed=1)
    for i, lin in enumerate(net.linears()):
        bound = weight_bound(i, lin.in_features, 30.0) * (2.0 if i else 1.0)
        assert lin.weight.abs().max() <= bound and lin.weight.abs().max() > 0.9 * bound
    lin = torch_default_init(L.Siren(width=64, depth=5), seed=1).linears()[2]
    assert lin.weight.abs().max() <= 1 / 8 and lin.bias.abs().max() <= 1 / 8


def test_the_fourier_mlp_is_the_relu_ff_spec_as_a_module():
    from lthsiren.network.architectures import RELU_FF

    cfg = L.make_config("tiny", model="relu-ff", width=16, depth=5, side=8)
    net = FourierMLP(16, 4, sigma=cfg.ff_sigma, seed=3)  # depth here counts Linear layers
    spec = RELU_FF.init(cfg, 3)
    assert [tuple(lin.weight.shape[::-1]) for lin in net.net] == RELU_FF.layer_sizes(cfg)
    for lin, (w, b) in zip(net.net, spec, strict=True):
        assert torch.equal(lin.weight, w) and torch.equal(lin.bias, b)
    x = L.coordinate_grid(8)
    with torch.no_grad():
        mine = net(x)
    assert torch.equal(mine, L.forward(spec, x, activation="relu", encoding=net.encoding.B))
    # its B is its own, drawn per seed; the spec's is one for every seed
    assert not torch.equal(net.encoding.B, RELU_FF.encoding(cfg))
