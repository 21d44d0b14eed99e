import math

import pytest
import torch

import lthsiren as L
from benchmarks.stock import train_reference
from lthsiren.network.ticket import stack, unstack
from lthsiren.training.engine import cosine_lr


def test_masked_weights_stay_exactly_zero_through_adam(small_problem):
    p = small_problem
    trainer = L.TicketTrainer(p["coords"], p["target"])
    trained, _ = trainer.fit(p["params"], p["batched_masks"], steps=25, lr=1e-3)
    for (w, _), m in zip(trained, p["batched_masks"]):
        assert torch.count_nonzero(w[~m]) == 0
        assert not torch.signbit(w[~m]).any()  # +0.0, so files of pruned nets are canonical
        assert torch.count_nonzero(w[m]) == int(m.sum())  # survivors did move and are nonzero


def test_trainer_masks_weights_even_if_given_unmasked_params(small_problem):
    p = small_problem
    unmasked = stack(p["theta"])
    trained, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
        unmasked, p["batched_masks"], steps=3, lr=1e-3
    )
    assert all(torch.count_nonzero(w[~m]) == 0 for (w, _), m in zip(trained, p["batched_masks"]))


def test_batched_tickets_equal_separate_trainings(small_problem):
    p = small_problem
    batched, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
        p["params"], p["batched_masks"], steps=20, lr=1e-3
    )
    for t in range(3):
        alone, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
            stack([unstack(p["params"], t)]),
            [m[t : t + 1] for m in p["batched_masks"]],
            steps=20,
            lr=1e-3,
        )
        for (wb, bb), (wa, ba) in zip(unstack(batched, t), unstack(alone, 0)):
            torch.testing.assert_close(wb, wa, rtol=0, atol=1e-6)
            torch.testing.assert_close(bb, ba, rtol=0, atol=1e-6)


def test_engine_equals_the_torch_prune_reference(small_problem):
    # The stock way: nn.Modules with prune.custom_from_mask, autograd, torch.optim.Adam and
    # CosineAnnealingLR. (A small lr keeps Adam's first steps, which are sign-like for
    # near-zero gradients, from amplifying float rounding differences.)
    p = small_problem
    steps, lr = 30, 1e-4
    trainer = L.TicketTrainer(p["coords"], p["target"])
    ours, _ = trainer.fit(p["params"], p["batched_masks"], steps=steps, lr=lr)
    for t in range(3):
        theirs = train_reference(
            L.rewind(p["theta"][t], p["masks"][t]),
            p["masks"][t],
            p["coords"],
            p["target"],
            steps,
            lr,
        )
        for (w, b), (wr, br) in zip(unstack(ours, t), theirs):
            torch.testing.assert_close(w, wr, rtol=0, atol=1e-5)
            torch.testing.assert_close(b, br, rtol=0, atol=1e-5)


def test_tiles_add_up_to_the_full_batch_gradient(small_problem):
    p = small_problem
    whole, _ = L.TicketTrainer(p["coords"], p["target"], tile=10_000).fit(
        p["params"], p["batched_masks"], steps=5, lr=1e-4
    )
    tiled, _ = L.TicketTrainer(p["coords"], p["target"], tile=100).fit(
        p["params"], p["batched_masks"], steps=5, lr=1e-4
    )
    for (a, b), (c, d) in zip(whole, tiled):
        torch.testing.assert_close(a, c, rtol=0, atol=1e-5)
        torch.testing.assert_close(b, d, rtol=0, atol=1e-5)


def test_training_is_deterministic_and_reduces_the_loss(small_problem):
    p = small_problem
    runs = []
    for _ in range(2):
        trainer = L.TicketTrainer(p["coords"], p["target"])
        before = trainer.predict(p["params"])
        trained, _ = trainer.fit(p["params"], p["batched_masks"], steps=30, lr=1e-3)
        runs.append(trained)
        after = trainer.predict()
    assert all(torch.equal(a[0], b[0]) for a, b in zip(*runs))
    mse = lambda y: ((y - p["target"]) ** 2).mean(dim=(1, 2))  # noqa: E731
    assert (mse(after) < mse(before)).all()


def test_snapshot_for_late_rewinding(small_problem):
    p = small_problem
    trainer = L.TicketTrainer(p["coords"], p["target"])
    _, snap = trainer.fit(p["params"], p["batched_masks"], steps=8, lr=1e-3, snapshot_step=3)
    ref, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
        p["params"], p["batched_masks"], steps=3, lr=1e-3
    )
    # the first 3 steps of an 8-step cosine schedule use larger rates than a 3-step one
    assert not torch.equal(snap[1][0], ref[1][0])
    _, snap0 = trainer.fit(p["params"], p["batched_masks"], steps=2, lr=1e-3, snapshot_step=0)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(snap0, p["params"]))


def test_cosine_schedule_matches_torch():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    for step in range(50):
        assert math.isclose(
            opt.param_groups[0]["lr"], cosine_lr(0.1, step, 50), rel_tol=1e-9, abs_tol=1e-12
        )
        opt.step()
        sched.step()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu(small_problem):
    p = small_problem
    cpu, _ = L.TicketTrainer(p["coords"], p["target"]).fit(
        p["params"], p["batched_masks"], steps=10, lr=1e-4
    )
    dev = torch.device("cuda")
    gpu, _ = L.TicketTrainer(p["coords"].to(dev), p["target"].to(dev)).fit(
        [(w.to(dev), b.to(dev)) for w, b in p["params"]],
        [m.to(dev) for m in p["batched_masks"]],
        steps=10,
        lr=1e-4,
    )
    for (a, _), (c, _) in zip(cpu, gpu):
        torch.testing.assert_close(a, c.cpu(), rtol=0, atol=1e-4)
