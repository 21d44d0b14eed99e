"""Tickets to and from torch.nn.utils.prune, both ways, with and without the (x, y) swap."""

import pytest
import torch
from torch.nn.utils import prune

import lthsiren as L
from lthsiren.errors import LthsirenError
from lthsiren.interop import from_pruned, run_ticket_module, to_pruned_module


@pytest.fixture(scope="module")
def ticket(tiny_run):
    return tiny_run.ticket(3, L.ticket_index(tiny_run.config(), "winner"))


def _same(a, b):
    return all(torch.equal(wa, wb) and torch.equal(ba, bb) for (wa, ba), (wb, bb) in zip(a, b))


def test_a_ticket_goes_to_a_pruned_module_and_back_exactly(ticket):
    params, mask = ticket
    net = to_pruned_module(params, mask)
    for lin, m in zip(net.linears(), mask):
        assert prune.is_pruned(lin) and torch.equal(lin.weight_mask.bool(), m)
        assert hasattr(lin, "weight_orig")
    back_params, back_mask = from_pruned(net)
    assert all(torch.equal(a, b) for a, b in zip(back_mask, mask))
    assert _same(back_params, L.rewind(params, mask))
    # ... and through its state dict, as it would be saved to disk
    state = net.state_dict()
    assert any(k.endswith("weight_orig") for k in state) and any(
        k.endswith("weight_mask") for k in state
    )
    assert _same(from_pruned(state)[0], back_params)


def test_the_module_draws_what_the_ticket_draws(tiny_run, ticket):
    params, mask = ticket
    cfg = tiny_run.config()
    x = L.coordinate_grid(cfg.side)
    with torch.no_grad():
        torch.testing.assert_close(
            to_pruned_module(params, mask, cfg.omega_0)(x),
            L.forward(L.rewind(params, mask), x, cfg.omega_0),
            rtol=0,
            atol=1e-5,
        )


def test_pruned_weights_stay_zero_when_the_module_trains(ticket):
    params, mask = ticket
    net = to_pruned_module(params, mask)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = L.coordinate_grid(8)
    for _ in range(3):
        opt.zero_grad()
        net(x).square().mean().backward()
        opt.step()
    trained, back_mask = from_pruned(net)
    for (w, _), m in zip(trained, back_mask):
        assert torch.all(w[~m] == 0) and not torch.signbit(w[~m]).any()


def test_swap_xy_swaps_the_first_layer_columns_both_ways(ticket):
    params, mask = ticket
    net = to_pruned_module(params, mask, swap_xy=True)
    w0 = net.linears()[0].weight_orig.detach()
    torch.testing.assert_close(w0[:, 0], L.rewind(params, mask)[0][0][:, 1], rtol=0, atol=0)
    # fed (x, y) = (column, row), the swapped module draws our picture
    rc = L.coordinate_grid(16)
    with torch.no_grad():
        torch.testing.assert_close(
            net(rc[:, [1, 0]]), to_pruned_module(params, mask)(rc), rtol=0, atol=1e-5
        )
    back_params, back_mask = from_pruned(net, swap_xy=True)
    assert _same(back_params, L.rewind(params, mask))
    assert all(torch.equal(a, b) for a, b in zip(back_mask, mask))


def test_a_run_round_becomes_a_module_trained_or_rewound(tiny_run):
    trained = run_ticket_module(tiny_run, 2, "loser")
    rewound = run_ticket_module(tiny_run, 2, "loser", rewound=True)
    t = L.ticket_index(tiny_run.config(), "loser")
    params, mask = tiny_run.ticket(2, t)
    assert _same(from_pruned(trained)[0], L.rewind(params, mask))
    theta0 = [(w[t], b[t]) for w, b in tiny_run.theta0()]
    assert _same(from_pruned(rewound)[0], L.rewind(theta0, mask))


def test_an_unpruned_module_comes_back_with_a_full_mask():
    net = L.Siren(8, 3, seed=1)
    params, mask = from_pruned(net)
    assert all(m.all() for m in mask) and _same(params, net.params())


def test_what_is_not_a_network_is_refused():
    with pytest.raises(LthsirenError, match="no Linear layers"):
        from_pruned({"step": torch.tensor(3)})
    with pytest.raises(LthsirenError, match="swap_xy needs a first layer with 2 inputs"):
        from_pruned(torch.nn.Linear(3, 4), swap_xy=True)
