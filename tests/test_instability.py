"""Linear-path instability (lthsiren.chapters.instability): two copies trained in different
pixel orders, and the loss along the straight line between them."""

import math
import statistics

import pytest
import torch

import lthsiren as L
from lthsiren.chapters.instability import (
    instabilities,
    instability,
    linear_path,
    path_point,
    ticket_start,
    train_copies,
)
from lthsiren.network.architectures import init_network
from lthsiren.network.pruning import prune_step
from lthsiren.network.ticket import full_mask, unstack
from lthsiren.training.imp import make_trainer

SIDE = 16


@pytest.fixture(scope="module")
def setup():
    cfg = L.make_config("tiny", side=SIDE, width=16, steps=15, rounds=2)
    target = L.load_image(None, SIDE)
    theta = init_network(cfg, 0)
    weights = [w for w, _ in theta]
    mask = prune_step(weights, full_mask(weights), "random", 0.5, torch.Generator().manual_seed(4))
    return cfg, target, theta, mask


def test_full_batch_copies_are_one_network_and_the_barrier_is_zero(setup):
    cfg, target, theta, mask = setup
    path = instability(cfg, target, theta, mask, alphas=11)
    assert len(path.alphas) == len(path.losses) == len(path.psnrs) == 11
    assert path.barrier_mse == 0.0 and path.barrier_db == 0.0
    assert len(set(path.losses)) == 1 and path.endpoint_psnrs[0] == path.endpoint_psnrs[1]


def test_the_same_order_gives_a_zero_barrier_and_another_order_other_weights(setup):
    cfg, target, theta, mask = setup
    trainer = make_trainer(cfg, target, torch.device("cpu"))
    same = train_copies(cfg, trainer, theta, mask, orders=(5, 5), batch=64)
    path = linear_path(trainer, *same, mask)
    assert path.barrier_mse == 0.0 and path.barrier_db == 0.0
    a, b = train_copies(cfg, trainer, theta, mask, orders=(5, 6), batch=64)
    assert not torch.equal(a[0][0], b[0][0])
    assert torch.equal(a[0][0], same[0][0][0])  # an order is a function of its number alone
    assert instability(cfg, target, theta, mask, orders=(5, 6), batch=64).barrier_mse >= 0.0


def test_unrelated_networks_have_a_barrier(setup):
    cfg, target, _, _ = setup
    trainer = make_trainer(cfg, target, torch.device("cpu"))
    mask = full_mask([w for w, _ in init_network(cfg, 0)])
    first = train_copies(cfg, trainer, init_network(cfg, 0), mask, orders=(0,))[0]
    second = train_copies(cfg, trainer, init_network(cfg, 1), mask, orders=(0,))[0]
    path = linear_path(trainer, first, second, mask)
    assert path.barrier_mse > 0.0 and path.barrier_db > 0.0
    # the worst point is inside the path, not at an end
    worst = path.losses.index(max(path.losses))
    assert 0 < worst < len(path.alphas) - 1
    mid = path.alphas.index(0.5)
    assert path.psnrs[mid] < min(path.endpoint_psnrs)


def test_the_endpoints_are_the_copies_themselves(setup):
    cfg, target, theta, mask = setup
    trainer = make_trainer(cfg, target, torch.device("cpu"))
    copies = train_copies(cfg, trainer, theta, mask, orders=(1, 2), batch=50)
    path = linear_path(trainer, *copies, mask, alphas=[0.0, 0.25, 0.5, 0.75, 1.0])
    coords = L.coordinate_grid(SIDE)
    for own, end in zip(copies, path.endpoint_psnrs):
        recon = L.forward(own, coords, cfg.omega_0)
        assert math.isclose(L.psnr(recon, target.flat()), end, rel_tol=1e-6)
        assert math.isclose(L.psnr(recon.reshape(SIDE, SIDE, 3), target.pixels), end, rel_tol=1e-6)
    assert path.endpoint_psnrs == (path.psnrs[0], path.psnrs[-1])
    gap = statistics.fmean(path.endpoint_psnrs) - min(path.psnrs)
    assert path.barrier_db == gap
    with pytest.raises(ValueError, match="endpoints"):
        linear_path(trainer, *copies, mask, alphas=[0.0, 0.5])


def test_masked_weights_stay_zero_along_the_path(setup):
    cfg, target, theta, mask = setup
    trainer = make_trainer(cfg, target, torch.device("cpu"))
    copies = train_copies(cfg, trainer, theta, mask, orders=(1, 2), batch=50)
    for copy in copies:
        for (w, _), m in zip(copy, mask):
            assert torch.count_nonzero(w[~m]) == 0
    for alpha in torch.linspace(0, 1, 11).tolist():
        point = path_point(*copies, mask, alpha)
        for (w, _), m, (w1, _), (w2, _) in zip(point, mask, *copies):
            assert torch.count_nonzero(w[~m]) == 0 and not torch.signbit(w[~m]).any()
            lo, hi = torch.minimum(w1, w2)[m], torch.maximum(w1, w2)[m]
            assert (w[m] >= lo - 1e-7).all() and (w[m] <= hi + 1e-7).all()
    assert all(torch.equal(p[0], c[0]) for p, c in zip(path_point(*copies, mask, 0.0), copies[0]))
    assert all(torch.equal(p[0], c[0]) for p, c in zip(path_point(*copies, mask, 1.0), copies[1]))


def test_a_stored_tickets_start_trains_into_the_runs_own_ticket(tiny_run):
    cfg = tiny_run.config()
    start, mask = ticket_start(tiny_run, 2, "winner")
    theta0 = unstack(tiny_run.theta0(), L.ticket_index(cfg, "winner"))
    for (w, b), (w0, b0), m in zip(start, theta0, mask):
        assert torch.equal(w, torch.where(m, w0, torch.zeros_like(w0))) and torch.equal(b, b0)
    target = L.load_image(cfg.image, cfg.side)
    trainer = make_trainer(cfg, target, torch.device("cpu"))
    # full batch: the order number changes nothing, and the copy is the run's own round 2
    (copy,) = train_copies(cfg, trainer, start, mask, round_index=2, orders=(cfg.seeds[0],))
    trained, own_mask = tiny_run.ticket(2, L.ticket_index(cfg, "winner"))
    assert all(torch.equal(a, b) for a, b in zip(own_mask, mask))
    for (w, b), (wo, bo) in zip(copy, trained):
        torch.testing.assert_close(w, wo, rtol=0, atol=1e-6)
        torch.testing.assert_close(b, bo, rtol=0, atol=1e-6)


def test_many_starts_trained_together_give_each_start_its_own_path():
    # a batch of starts gives, start by start, the path that start gives alone: the tickets of
    # one batch do not see each other (up to float rounding of the batched matmuls)
    cfg = L.make_config("tiny", side=8, width=8, steps=6, batch=16)
    target = L.load_image(None, cfg.side)
    starts = [init_network(cfg, s) for s in (0, 1)]
    mask = full_mask([w for w, _ in starts[0]])
    together = instabilities(cfg, target, starts, [mask, mask], orders=(3, 4), alphas=5)
    for start, path in zip(starts, together):
        alone = instability(cfg, target, start, mask, orders=(3, 4), alphas=5)
        assert path.psnrs == pytest.approx(alone.psnrs, abs=1e-3)
    assert together[0].psnrs != pytest.approx(together[1].psnrs, abs=1e-3)
