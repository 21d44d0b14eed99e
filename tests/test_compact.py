import pytest
import torch

import lthsiren as L
from lthsiren import codecs as C
from lthsiren.chapters import compact as K
from lthsiren.network.pruning import rewind

SIDE = 12


def _same_image(net, params, mask, side=SIDE, atol=1e-5):
    reference = C.render(rewind(params, mask), side)
    torch.testing.assert_close(net.render(side), reference, rtol=0, atol=atol)


def _all_ways(params, mask, omega_0=30.0):
    small = K.compact_network(params, mask, omega_0)
    return {
        "dense": K.masked_dense(params, mask, omega_0),
        "compact": small,
        "sparse": K.SparseSiren(params, mask, omega_0),
        "compact+sparse": K.SparseSiren.from_compact(small),
    }


def _hand_made():
    """A width-6 SIREN with dead neurons of every kind, made by hand:

    layer 0, neuron 1: no incoming weights, bias 0.3, live outgoing weights -> folded;
    layer 1, neuron 2: no outgoing weights -> dropped;
    layer 1, neuron 4: its only incoming weight comes from layer-0 neuron 5, which has no
        incoming weights itself -> after folding neuron 5, neuron 4 is constant too (a cascade);
    layer 2, neuron 0: its only outgoing weight goes to layer-3 neuron 3, which feeds nothing
        -> both go.
    """
    params = L.init_params(6, 5, 30.0, seed=4)
    mask = [torch.ones_like(w, dtype=torch.bool) for w, _ in params]
    mask[0][1] = False
    params[0][1][1] = 0.3
    mask[2][:, 2] = False
    mask[1][4] = False
    mask[1][4, 5] = True
    mask[0][5] = False
    mask[3][:, 0] = False
    mask[3][3, 0] = True
    mask[4][:, 3] = False
    mask[3][3, 1] = True  # layer-3 neuron 3 still has inputs, but no outputs
    return params, mask


def test_hand_made_dead_neurons_are_removed_and_the_image_kept():
    params, mask = _hand_made()
    net = K.compact_network(params, mask)
    assert net.widths == [2, 4, 4, 5, 5, 3]
    assert net.kept[0].tolist() == [0, 2, 3, 4]  # 1 and 5 folded (no incoming weights)
    assert net.kept[1].tolist() == [0, 1, 3, 5]  # 2 feeds nothing; 4 became constant
    assert net.folded[0] == 2 and net.folded[1] == 1
    assert net.parameter_count() < sum(w.numel() + b.numel() for w, b in params)
    for way in _all_ways(params, mask).values():
        _same_image(way, params, mask)


def test_a_constant_neuron_folds_into_the_next_bias_exactly():
    # one hidden neuron, no incoming weight, bias 0.05: the network draws a constant colour
    w0 = torch.zeros(1, 2)
    b0 = torch.tensor([0.05])
    w1 = torch.tensor([[2.0], [-1.0], [0.5]])
    b1 = torch.tensor([0.1, 0.2, 0.3])
    params = [(w0, b0), (w1, b1)]
    net = K.compact_network(params, None, 30.0)
    assert net.widths == [2, 0, 3] and net.folded == [1]
    expected = b1 + w1[:, 0] * torch.sin(torch.tensor(30.0 * 0.05))
    torch.testing.assert_close(net.layers[-1][1], expected)
    image = net.render(5)
    assert torch.allclose(image, expected.expand(5, 5, 3), atol=1e-6)
    _same_image(net, params, [torch.ones_like(w0, dtype=torch.bool), torch.ones(3, 1) > 0], 5)


def test_a_network_with_no_path_left_draws_its_constant():
    params = L.init_params(8, 5, 30.0, seed=1)
    mask = [torch.ones_like(w, dtype=torch.bool) for w, _ in params]
    mask[2][:] = False  # nothing crosses layer 2
    for way in _all_ways(params, mask).values():
        _same_image(way, params, mask)
    # layers 0-1 feed nothing (dropped); layers 2-3 then have no inputs (folded, in cascade)
    net = K.compact_network(params, mask)
    assert net.widths == [2, 0, 0, 0, 0, 3] and net.folded == [0, 0, 8, 8]


def test_a_constant_neuron_that_feeds_only_dead_neurons_is_dropped_not_folded():
    # layer-0 neuron 0 is constant and feeds only layer-1 neuron 0, which feeds nothing: its
    # constant reaches no bias that is left, so it counts as dropped, not folded
    params = L.init_params(3, 3, 30.0, seed=6)
    mask = [torch.ones_like(w, dtype=torch.bool) for w, _ in params]
    mask[0][0] = False
    mask[1][:, 0] = False
    mask[1][0, 0] = True
    mask[2][:, 0] = False
    net = K.compact_network(params, mask)
    assert net.kept[0].tolist() == [1, 2] and net.kept[1].tolist() == [1, 2]
    assert net.folded == [0, 0]
    _same_image(net, params, mask)


def test_a_kept_zero_weight_is_no_path_to_the_output():
    params = L.init_params(3, 3, 30.0, seed=7)
    params[2][0][:, 1] = 0.0  # kept by the mask, but exactly zero: layer-1 neuron 1 feeds nothing
    net = K.compact_network(params)
    assert net.kept[1].tolist() == [0, 2] and net.folded == [0, 0]
    _same_image(net, params, [torch.ones_like(w, dtype=torch.bool) for w, _ in params])


def test_nothing_to_remove_in_a_dense_network():
    params = L.init_params(16, 5, 30.0, seed=2)
    net = K.compact_network(params)
    assert net.widths == [2, 16, 16, 16, 16, 3] and net.folded == [0, 0, 0, 0]
    torch.testing.assert_close(net.render(SIDE), C.render(params, SIDE), rtol=0, atol=1e-6)


def test_random_masks_at_every_density():
    params = L.init_params(24, 5, 30.0, seed=5)
    gen = torch.Generator().manual_seed(0)
    for density in (0.5, 0.1, 0.03, 0.01):
        mask = [torch.rand(w.shape, generator=gen) < density for w, _ in params]
        for way in _all_ways(params, mask).values():
            _same_image(way, params, mask)


def test_tiles_do_not_change_the_result():
    params, mask = _hand_made()
    coords = L.coordinate_grid(9)
    for way in _all_ways(params, mask).values():
        # (the matrix library may round a 7-row product differently from an 81-row one)
        torch.testing.assert_close(
            way.forward(coords, tile=7), way.forward(coords), atol=1e-6, rtol=0
        )


def test_every_round_of_a_run(tmp_path):
    cfg = L.make_config("tiny", side=16, width=16, steps=10, rounds=6)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    alive = []
    for k in range(cfg.rounds):
        params, mask = run.ticket(k, 0)
        ways = _all_ways(params, mask, cfg.omega_0)
        for way in ways.values():
            _same_image(way, params, mask, side=cfg.side)
        assert ways["sparse"].nnz == sum(int(m.sum()) for m in mask)
        alive.append(K.alive_neurons(params, mask))
    assert alive[0] == [cfg.width] * (cfg.depth - 1)
    assert all(a <= cfg.width for widths in alive for a in widths)


@pytest.mark.parametrize("side", [1, 3])
def test_tiny_images(side):
    params, mask = _hand_made()
    for way in _all_ways(params, mask).values():
        assert way.render(side).shape == (side, side, 3)
