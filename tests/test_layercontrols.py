"""Norm-matched controls for the per-layer frequency test (lthsiren.chapters.layercontrols)."""

import math

import pytest
import torch

import lthsiren as L
from lthsiren.chapters.layercontrols import (
    CONTROLS,
    control_rows,
    layer_controls,
    layer_inputs,
    layer_size,
    output_high_share,
    run_layer_controls,
)
from lthsiren.chapters.spectra import layer_spectra, masked
from lthsiren.network.pruning import prune_step
from lthsiren.network.ticket import full_mask

SIDE = 16


@pytest.fixture(scope="module")
def net():
    """A width-16 SIREN whose every layer already lost a random 30% (so "alive" matters)."""
    params = L.init_params(16, 4, 30.0, 7)
    weights = [w for w, _ in params]
    mask = prune_step(weights, full_mask(weights), "random", 0.3, torch.Generator().manual_seed(2))
    return params, mask


def _norm(params, layer):
    return float(torch.linalg.norm(params[layer][0].double()))


@pytest.mark.parametrize("layer", [0, 1, 2, 3])
def test_random_normed_and_scaled_match_the_norm_largest_leaves(net, layer):
    params, mask = net
    c = layer_controls(params, layer, mask)
    assert set(c) == set(CONTROLS)
    left = _norm(c["largest"].params, layer)
    assert left < _norm(masked(params, mask), layer)
    for name in ("random-normed", "scaled"):
        assert math.isclose(_norm(c[name].params, layer), left, rel_tol=1e-6)
        assert c[name].scale < 1.0
    assert c["largest"].scale == c["smallest"].scale == 1.0


@pytest.mark.parametrize("layer", [0, 2, 3])
def test_only_the_chosen_layer_changes(net, layer):
    params, mask = net
    base = masked(params, mask)
    for name, c in layer_controls(params, layer, mask).items():
        for l, ((w, b), (w0, b0)) in enumerate(zip(c.params, base)):
            assert torch.equal(b, b0), name  # biases are never touched
            if l != layer:
                assert torch.equal(w, w0) and torch.equal(c.mask[l], mask[l]), name
        assert not torch.equal(c.params[layer][0], base[layer][0]), name


@pytest.mark.parametrize("layer", [0, 1, 3])
def test_the_prunes_remove_the_same_count_and_masks_stay_zero(net, layer):
    params, mask = net
    c = layer_controls(params, layer, mask)
    alive = int(mask[layer].sum())
    removed = round(0.2 * alive)
    for name in ("largest", "smallest", "random-normed"):
        m = c[name].mask[layer]
        assert int(m.sum()) == alive - removed, name
        assert not (m & ~mask[layer]).any(), name  # nothing revived
    assert torch.equal(c["scaled"].mask[layer], mask[layer])
    for name, ctl in c.items():
        for (w, _), m, m0 in zip(ctl.params, ctl.mask, mask):
            assert torch.count_nonzero(w[~m]) == 0 and not torch.signbit(w[~m]).any(), name
            assert not (m & ~m0).any(), name
    # the plain prunes keep their survivors as they were; the largest go first
    w = masked(params, mask)[layer][0]
    kept, gone = c["largest"].mask[layer], mask[layer] & ~c["largest"].mask[layer]
    assert torch.equal(c["largest"].params[layer][0][kept], w[kept])
    assert w[gone].abs().min() >= w[kept].abs().max()
    kept, gone = c["smallest"].mask[layer], mask[layer] & ~c["smallest"].mask[layer]
    assert w[gone].abs().max() <= w[kept].abs().min()
    # random-normed: its own survivors, one common factor; scaled: the whole layer, same way
    rn = c["random-normed"]
    torch.testing.assert_close(
        rn.params[layer][0][rn.mask[layer]], w[rn.mask[layer]] * rn.scale, rtol=1e-6, atol=0
    )
    torch.testing.assert_close(c["scaled"].params[layer][0], w * c["scaled"].scale)


def test_random_normed_is_seeded(net):
    params, mask = net

    def draw(seed):
        gen = torch.Generator().manual_seed(seed)
        return layer_controls(params, 1, mask, generator=gen)["random-normed"].mask[1]

    assert torch.equal(draw(5), draw(5))
    assert not torch.equal(draw(5), draw(6))


def _preactivation_spread(params, layer):
    """Mean over neurons of the pre-activation's variance over the grid, from forward()."""
    hidden = []
    L.forward([(w.double(), b.double()) for w, b in params], L.coordinate_grid(SIDE).double(),
              30.0, hidden=hidden)  # fmt: skip
    z = hidden[layer][0] / 30.0
    return float(z.var(dim=0, unbiased=False).mean())


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_preactivation_matching(net, layer):
    params, mask = net
    c = layer_controls(params, layer, mask, match="preactivation", side=SIDE)
    spread = _preactivation_spread(c["largest"].params, layer)
    for name in ("random-normed", "scaled"):
        assert math.isclose(_preactivation_spread(c[name].params, layer), spread, rel_tol=1e-6)
    base = masked(params, mask)
    inputs = layer_inputs(base, layer, SIDE)
    assert math.isclose(layer_size(base[layer][0], "preactivation", inputs),
                        _preactivation_spread(base, layer), rel_tol=1e-9)  # fmt: skip
    # the grid's coordinates are uncorrelated with equal variance, so for the first layer the
    # two matches agree; deeper inputs are not isotropic and they part
    same = math.isclose(layer_controls(params, layer, mask)["scaled"].scale, c["scaled"].scale)
    assert same == (layer == 0)
    with pytest.raises(ValueError, match="side"):
        layer_controls(params, layer, mask, match="preactivation")
    with pytest.raises(ValueError, match="match"):
        layer_controls(params, layer, mask, match="energy")


def test_control_rows(net):
    params, mask = net
    rows = control_rows(params, mask, SIDE, layers=[0, 1])
    n_hidden = len(params) - 1
    assert len(rows) == n_hidden * (1 + 2 * len(CONTROLS))
    dense = {r["layer"]: r for r in rows if r["stage"] == "dense"}
    spectra = layer_spectra(masked(params, mask), SIDE, 30.0)
    assert [dense[i]["high_share"] for i in range(1, n_hidden + 1)] == spectra["high_share"]
    for r in rows:
        assert 0.0 <= r["output_high_share"] <= 1.0 and r["variance"] >= 0.0
        if r["stage"] == "pruned" and r["layer"] < r["perturbed"]:
            # upstream of the perturbed layer nothing changed
            assert r["high_share"] == dense[r["layer"]]["high_share"]
        if r["stage"] == "pruned" and r["layer"] == r["perturbed"] and r["ticket"] != "smallest":
            assert r["variance"] != dense[r["layer"]]["variance"]
    assert {(r["ticket"], r["perturbed"]) for r in rows if r["stage"] == "pruned"} == {
        (name, p) for name in CONTROLS for p in (1, 2)
    }
    assert dense[1]["output_high_share"] == output_high_share(masked(params, mask), SIDE)


def test_run_layer_controls(tiny_run):
    cfg = tiny_run.config()
    rows = run_layer_controls(tiny_run, 0, "winner", layers=[1])
    assert {r["seed"] for r in rows} == set(cfg.seeds)
    assert {(r["stage"], r["round"]) for r in rows} == {("dense", 0), ("pruned", 1)}
    assert {r["ticket"] for r in rows if r["stage"] == "pruned"} == set(CONTROLS)
    assert {r["perturbed"] for r in rows} == {0, 2}
