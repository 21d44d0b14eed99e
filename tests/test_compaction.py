"""Structure-aware training (lthsiren.network.compaction, lthsiren.training.imp.train_round):
narrowing a ticket to the neurons that reach the output trains what dense masked training trains, up
to float rounding, compared over a few steps where rounding has not been amplified."""

import pytest
import torch

import lthsiren as L
from lthsiren.network.compaction import live_neurons, narrow, reaching_output, widen
from lthsiren.network.ticket import stack, unstack
from lthsiren.training.imp import make_trainer, train_round

STEPS = 5


def _mask(width=4):
    """A 2 -> 4 -> 4 -> 3 network's full mask."""
    return [
        torch.ones(width, 2, dtype=torch.bool),
        torch.ones(width, width, dtype=torch.bool),
        torch.ones(3, width, dtype=torch.bool),
    ]


def test_neurons_without_a_path_to_the_output_are_found_backwards():
    m = _mask()
    m[2][:, 3] = False  # layer-2 neuron 3 feeds nothing
    m[1][:, 0] = False  # layer-1 neuron 0 feeds nothing ...
    m[1][[0, 1, 2], 1] = False  # ... and neuron 1 feeds only the dead neuron 3
    m[1][1, :] = False  # layer-2 neuron 1 has no input: a constant, still alive
    live = reaching_output(m)
    assert live[0].tolist() == [False, False, True, True]
    assert live[1].tolist() == [True, True, True, False]
    assert [k.tolist() for k in live_neurons(m)] == [[2, 3], [0, 1, 2]]


def test_an_empty_output_layer_leaves_no_hidden_neuron():
    m = _mask()
    m[2][:] = False
    assert all(k.numel() == 0 for k in live_neurons(m))


def test_narrow_then_widen_gives_the_ticket_back():
    params = L.init_params(4, 3, seed=1)
    m = _mask()
    m[2][:, 3] = False
    keep = live_neurons(m)
    small, small_mask = narrow(params, m, keep)
    assert [w.shape for w, _ in small] == [(4, 2), (3, 4), (3, 3)]
    assert torch.equal(small_mask[2], m[2][:, :3])
    back = widen(small, params, keep)
    assert all(torch.equal(a, b) and torch.equal(c, d) for (a, c), (b, d) in zip(back, params))


def _dense_and_compact(cfg, start, masks, k=1):
    target = L.load_image(cfg.image, cfg.side)
    out = []
    for aware in (False, True):
        trainer = make_trainer(cfg, target, torch.device("cpu"))
        out.append(train_round(cfg, trainer, k, start, masks, structure_aware=aware))
    return out


def _close(a, b, atol=1e-5):
    for (wa, ba), (wb, bb) in zip(a, b):
        torch.testing.assert_close(wa, wb, rtol=0, atol=atol)
        torch.testing.assert_close(ba, bb, rtol=0, atol=atol)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_compacted_training_equals_dense_training_for_every_strategy(tiny_run, k):
    cfg = L.Config.from_json({**tiny_run.config().to_json(), "steps": STEPS})
    masks, _ = tiny_run.round_state(k)
    start = L.rewind(tiny_run.theta0(), masks)
    (dense, recon_d, _), (compact, recon_c, _) = _dense_and_compact(cfg, start, masks)
    _close(dense, compact)
    torch.testing.assert_close(recon_d, recon_c, rtol=0, atol=1e-5)
    # by round 3 the loser has lost whole neurons: compaction had something to drop
    if k == 3:
        loser = [m[L.ticket_index(cfg, "loser")] for m in masks]
        assert sum(k.numel() for k in live_neurons(loser)) < sum(m.shape[0] for m in loser[:-1])


def _hand_ticket(cfg, empty_layer):
    theta = L.init_params(cfg.width, cfg.depth, cfg.omega_0, seed=3)
    mask = [
        torch.rand(w.shape, generator=torch.Generator().manual_seed(i)) < 0.5
        for i, (w, _) in enumerate(theta)
    ]
    mask[empty_layer][:] = False
    return stack([L.rewind(theta, mask)]), [m[None] for m in mask], theta


def test_a_ticket_with_an_empty_output_layer_trains_only_its_output_biases():
    cfg = L.make_config("tiny", side=16, width=16, steps=STEPS, strategies=("smallest",))
    start, masks, _ = _hand_ticket(cfg, empty_layer=cfg.depth - 1)
    (dense, _, _), (compact, _, _) = _dense_and_compact(cfg, start, masks)
    _close(dense, compact)
    for (w, b), (w0, b0) in zip(compact[:-1], start[:-1]):
        assert torch.equal(w, w0) and torch.equal(b, b0)  # nothing upstream moved
    assert not torch.equal(compact[-1][1], start[-1][1])  # the output biases did


def test_constant_neurons_after_an_empty_layer_keep_training():
    cfg = L.make_config("tiny", side=16, width=16, steps=STEPS, strategies=("smallest",))
    start, masks, _ = _hand_ticket(cfg, empty_layer=1)
    (dense, _, _), (compact, _, _) = _dense_and_compact(cfg, start, masks)
    _close(dense, compact)
    assert not torch.equal(compact[2][1], start[2][1])  # biases of the constant neurons train


def test_round_0_is_trained_once_per_seed_with_the_same_result(tiny_run):
    cfg = L.make_config("tiny", side=16, width=16, steps=STEPS, seeds=(0, 1))
    from lthsiren.training.imp import initial_masks, initial_params

    theta0 = initial_params(cfg)
    masks = initial_masks(cfg, theta0)
    (dense, recon_d, _), (shared, recon_s, _) = _dense_and_compact(cfg, theta0, masks, k=0)
    for (wd, bd), (ws, bs) in zip(dense, shared):
        assert torch.equal(wd, ws) and torch.equal(bd, bs)
    assert torch.equal(recon_d, recon_s)
    # every ticket of a seed holds its own copy
    assert unstack(shared, 0)[0][0].data_ptr() != unstack(shared, 1)[0][0].data_ptr()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_whole_tiny_run_on_cuda_keeps_the_cpu_counts_and_orderings(tmp_path):
    cfg = L.make_config("tiny", device="cuda", rounds=6)
    gpu = L.run_experiment(cfg, root=tmp_path / "gpu", progress=False).records()
    cpu = L.run_experiment(
        L.Config.from_json({**cfg.to_json(), "device": "cpu"}),
        root=tmp_path / "cpu",
        progress=False,
    ).records()
    assert [r["alive"] for r in gpu] == [r["alive"] for r in cpu]
    by = {(r["round"], r["ticket"]): r["psnr"] for r in gpu}
    assert by[(2, "winner")] > by[(2, "random")] > by[(2, "loser")]
