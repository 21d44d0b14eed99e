"""Mini-batch training (``--batch N``, lthsiren.training.minibatch): each step an epoch of shuffled
mini-batches, one Adam step each, cosine over epochs; a batch that covers the image is exactly
full-batch training; the rows are shared by every ticket and drawn from (seed, round) alone."""

import math

import pytest
import torch
from torch import nn

import lthsiren as L
from lthsiren.interop import from_pruned, to_pruned_module
from lthsiren.network.ticket import stack, unstack
from lthsiren.training.engine import cosine_lr
from lthsiren.training.minibatch import MiniBatches, batch_generator, for_round

SIDE, STEPS, LR = 16, 5, 1e-3
PIXELS = SIDE * SIDE
RUN = dict(side=SIDE, width=16, steps=STEPS, rounds=3)


def _batches(size, seed=0, round_index=0):
    return MiniBatches(size, batch_generator(seed, round_index))


def _fit(p, batches, steps=STEPS, lr=LR, **kw):
    trainer = L.TicketTrainer(p["coords"], p["target"])
    trained, snap = trainer.fit(p["params"], p["batched_masks"], steps, lr, batches=batches, **kw)
    return trainer, trained, snap


def _equal(a, b):
    return all(torch.equal(w, v) and torch.equal(c, d) for (w, c), (v, d) in zip(a, b))


@pytest.mark.parametrize("size", [PIXELS, PIXELS + 1, 10**9])
def test_a_batch_covering_the_image_is_full_batch_bit_for_bit(small_problem, size):
    _, full, _ = _fit(small_problem, None)
    trainer, batched, _ = _fit(small_problem, _batches(size))
    assert _equal(full, batched)
    assert trainer.adam_steps == STEPS


@pytest.mark.parametrize("size,sizes", [(64, [64] * 4), (100, [100, 100, 56]), (255, [255, 1])])
def test_one_adam_step_per_mini_batch_and_cosine_over_epochs(small_problem, size, sizes):
    p = small_problem
    trainer = L.TicketTrainer(p["coords"], p["target"])
    seen, adam = [], []
    train_step, adam_step = trainer._train_step, trainer._adam_step
    trainer._train_step = lambda: (seen.append(trainer.coords.shape[0]), train_step())
    trainer._adam_step = lambda lr, n: (adam.append((lr, n)), adam_step(lr, n))
    trainer.fit(p["params"], p["batched_masks"], STEPS, LR, batches=_batches(size))
    per_epoch = math.ceil(PIXELS / size)
    assert trainer.adam_steps == STEPS * per_epoch == len(adam)
    assert seen == sizes * STEPS  # the last mini-batch keeps the remainder
    # Adam's bias correction counts Adam steps; the rate is constant within an epoch
    assert [n for _, n in adam] == list(range(1, STEPS * per_epoch + 1))
    rates = [cosine_lr(LR, epoch, STEPS) for epoch in range(STEPS)]
    assert [lr for lr, _ in adam] == [r for r in rates for _ in range(per_epoch)]
    assert trainer.coords.shape[0] == PIXELS  # the whole image is back after training


def test_epochs_are_permutations_that_depend_on_seed_and_round():
    def epochs(seed, round_index, n=3):
        b = _batches(64, seed, round_index)
        return [torch.cat(list(b.epoch(PIXELS, torch.device("cpu")))) for _ in range(n)]

    first = epochs(0, 0)
    for perm in first:
        assert torch.equal(perm.sort().values, torch.arange(PIXELS))
    assert not torch.equal(first[0], first[1])  # reshuffled every epoch
    assert all(torch.equal(a, b) for a, b in zip(first, epochs(0, 0)))  # deterministic
    assert not torch.equal(first[0], epochs(1, 0)[0])  # another seed
    assert not torch.equal(first[0], epochs(0, 1)[0])  # another round
    cfg = L.make_config("tiny", seeds=(3, 1), batch=64)
    assert for_round(L.make_config("tiny"), 0) is None
    assert torch.equal(
        torch.cat(list(for_round(cfg, 2).epoch(PIXELS, "cpu"))),
        torch.cat(list(_batches(64, 3, 2).epoch(PIXELS, "cpu"))),
    )  # the run's first seed and the round pick the rows of every ticket


def test_mini_batch_training_is_deterministic_and_differs_from_full_batch(small_problem):
    _, a, _ = _fit(small_problem, _batches(64))
    _, b, _ = _fit(small_problem, _batches(64))
    _, other_seed, _ = _fit(small_problem, _batches(64, seed=1))
    _, full, _ = _fit(small_problem, None)
    assert _equal(a, b)
    assert not _equal(a, other_seed) and not _equal(a, full)


def test_masks_stay_exactly_zero_with_mini_batches(small_problem):
    p = small_problem
    _, trained, _ = _fit(p, _batches(50), steps=10)
    for (w, _), m in zip(trained, p["batched_masks"]):
        assert torch.count_nonzero(w[~m]) == 0 and not torch.signbit(w[~m]).any()
        assert torch.count_nonzero(w[m]) == int(m.sum())


def test_every_ticket_sees_the_same_rows(small_problem):
    p = small_problem
    _, batched, _ = _fit(p, _batches(64))
    for t in range(3):
        alone, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
            stack([unstack(p["params"], t)]),
            [m[t : t + 1] for m in p["batched_masks"]],
            STEPS,
            LR,
            batches=_batches(64),
        )
        for (wb, bb), (wa, ba) in zip(unstack(batched, t), unstack(alone, 0)):
            torch.testing.assert_close(wb, wa, rtol=0, atol=1e-6)
            torch.testing.assert_close(bb, ba, rtol=0, atol=1e-6)


def test_equals_a_stock_data_loader_loop(small_problem):
    # The reference's way: autograd, torch.optim.Adam, one step per shuffled mini-batch (the last
    # one smaller, not dropped), CosineAnnealingLR stepped once per epoch.
    p, size, lr = small_problem, 100, 1e-4
    _, ours, _ = _fit(p, _batches(size), lr=lr)
    for t in range(3):
        net = to_pruned_module(L.rewind(p["theta"][t], p["masks"][t]), p["masks"][t])
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)
        gen = batch_generator(0, 0)
        for _ in range(STEPS):
            for rows in torch.randperm(PIXELS, generator=gen).split(size):
                opt.zero_grad(set_to_none=True)
                nn.functional.mse_loss(net(p["coords"][rows]), p["target"][rows]).backward()
                opt.step()
            sched.step()
        for (w, b), (wr, br) in zip(unstack(ours, t), from_pruned(net)[0]):
            torch.testing.assert_close(w, wr, rtol=0, atol=1e-5)
            torch.testing.assert_close(b, br, rtol=0, atol=1e-5)


def test_late_rewinding_snapshot_counts_epochs(small_problem):
    _, _, snap = _fit(small_problem, _batches(64), snapshot_step=2)
    _, two_epochs, _ = _fit(small_problem, _batches(64), steps=2)
    assert not _equal(snap, small_problem["params"])
    # 2 epochs = 8 Adam steps; the 5-epoch schedule's first rates differ from a 2-epoch one's
    assert not _equal(snap, two_epochs)
    trainer = L.TicketTrainer(small_problem["coords"], small_problem["target"])
    seen = []
    copy = trainer.ticket_params
    trainer.ticket_params = lambda: (seen.append(trainer.adam_steps), copy())[1]
    p = small_problem
    trainer.fit(p["params"], p["batched_masks"], STEPS, LR, snapshot_step=2, batches=_batches(64))
    assert seen[0] == 2 * 4  # the snapshot is taken after 2 epochs of 4 mini-batches


# -- settings and whole runs --------------------------------------------------------------------


def test_batch_is_in_the_key_only_when_set():
    assert L.make_config("tiny").key("abc") == "ea390a57"  # as before the field existed
    assert L.make_config("tiny", batch=64).key("abc") != "ea390a57"
    assert L.make_config("tiny", batch=64).key("x") != L.make_config("tiny", batch=32).key("x")
    cfg = L.make_config("tiny", batch=64)
    assert L.Config.from_json(cfg.to_json()) == cfg


def test_a_run_with_batch_covering_the_image_equals_full_batch(tmp_path):
    full = L.run_experiment(L.make_config("tiny", **RUN), root=tmp_path / "a", progress=False)
    cover = L.make_config("tiny", batch=PIXELS, **RUN)
    whole = L.run_experiment(cover, root=tmp_path / "b", progress=False)
    assert full.path.name != whole.path.name
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert strip(full.records()) == strip(whole.records())


def test_cli_run_with_batch_trains_and_resumes(tmp_path, capsys):
    from lthsiren.cli import main

    args = ["run", "--preset", "tiny", "--side", "16", "--width", "16", "--steps", "5"]
    assert main([*args, "--rounds", "3", "--batch", "64", "--quiet", "--out", str(tmp_path)]) == 0
    assert "epochs (batch 64)" in capsys.readouterr().out
    cfg = L.make_config("tiny", batch=64, **RUN)
    part = L.run_experiment(cfg, root=tmp_path / "part", progress=False, stop_after=2)
    assert part.completed_rounds() == 2
    resumed = L.run_experiment(cfg, root=tmp_path / "part", progress=False)
    whole = L.RunDir.for_config(cfg, L.load_image(cfg.image, cfg.side).sha256, tmp_path)
    assert whole.config().batch == 64 and whole.completed_rounds() == 3
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert strip(resumed.records()) == strip(whole.records())
    for k in range(3):
        masks, trained = resumed.round_state(k)
        assert _equal(trained, whole.round_state(k)[1])
        for (w, _), m in zip(trained, masks):
            assert torch.count_nonzero(w[~m]) == 0
