"""The reinit control and late rewinding (lthsiren.controls, lthsiren.experiment.round_start),
and the config checks that come with them."""

import pytest
import torch

import lthsiren as L
from lthsiren.network.model import init_network, weight_bound
from lthsiren.network.pruning import REINIT_SEED_OFFSET, reinit_seed, reinit_start
from lthsiren.network.ticket import unstack
from lthsiren.training.imp import make_trainer, next_masks, round_start, train_round

QUICK = dict(side=16, width=16, steps=20, rounds=3, seeds=(0, 1))
WITH_REINIT = ("smallest", "random", "largest", "reinit")


def _alive_sequence(total, rounds, fraction=0.2):
    """Exact alive counts of rounds 0..rounds-1 when round(fraction * alive) go each round."""
    out = [total]
    for _ in range(rounds - 1):
        out.append(out[-1] - round(fraction * out[-1]))
    return out


def _index(cfg, strategy, seed):
    return cfg.tickets().index((strategy, seed))


def _equal_params(a, b):
    return all(torch.equal(wa, wb) and torch.equal(ba, bb) for (wa, ba), (wb, bb) in zip(a, b))


def _replay(cfg, start, masks, k=1):
    """Train round ``k`` from ``start`` under ``masks``, the way run_experiment does."""
    trainer = make_trainer(cfg, L.load_image(cfg.image, cfg.side), torch.device("cpu"))
    trained, _, _ = train_round(cfg, trainer, k, start, masks)
    return trained


@pytest.fixture(scope="module")
def reinit_run(tmp_path_factory):
    cfg = L.make_config("tiny", **QUICK, strategies=WITH_REINIT)
    run = L.run_experiment(cfg, root=tmp_path_factory.mktemp("reinit"), progress=False)
    return cfg, run


@pytest.fixture(scope="module")
def late_run(tmp_path_factory):
    cfg = L.make_config("tiny", **QUICK, strategies=WITH_REINIT, rewind="step:5")
    run = L.run_experiment(cfg, root=tmp_path_factory.mktemp("late"), progress=False)
    return cfg, run


# -- reinit: masks and counts -------------------------------------------------------------------


def test_reinit_ticket_takes_the_winners_mask_every_round(reinit_run):
    cfg, run = reinit_run
    assert run.completed_rounds() == 3
    for k in range(3):
        masks, _ = run.round_state(k)
        for seed in cfg.seeds:
            w, r = _index(cfg, "smallest", seed), _index(cfg, "reinit", seed)
            assert all(torch.equal(m[r], m[w]) for m in masks)
        if k > 0:  # and it is the winner's mask, not just any mask of that density
            rnd, win = _index(cfg, "random", 0), _index(cfg, "reinit", 0)
            assert not all(torch.equal(m[rnd], m[win]) for m in masks)
            other = _index(cfg, "reinit", 1)  # each seed follows its own winner
            assert not all(torch.equal(m[other], m[win]) for m in masks)


def test_reinit_alive_counts_are_exact(reinit_run):
    cfg, run = reinit_run
    total = L.parameter_count(cfg.width, cfg.depth)["weights"]
    expected = _alive_sequence(total, cfg.rounds)
    recs = run.records()
    assert len(recs) == cfg.rounds * len(cfg.tickets())
    for seed in cfg.seeds:
        for ticket in ("winner", "reinit", "random", "loser"):
            got = [
                r["alive"]
                for r in sorted(recs, key=lambda r: r["round"])
                if r["ticket"] == ticket and r["seed"] == seed
            ]
            assert got == expected, (ticket, seed)
    assert {r["ticket"] for r in recs} == {"winner", "random", "loser", "reinit"}


def test_next_masks_copies_the_winner_without_aliasing(reinit_run):
    cfg, run = reinit_run
    masks, trained = run.round_state(0)
    new = next_masks(cfg, trained, masks, 0)
    stored, _ = run.round_state(1)
    assert all(torch.equal(a, b) for a, b in zip(new, stored))
    w, r = _index(cfg, "smallest", 1), _index(cfg, "reinit", 1)
    assert L.ticket_index(cfg, "smallest", 1) == w
    new[0][w].fill_(False)  # the copy is its own tensor
    assert new[0][r].any()


# -- reinit: where it starts ----------------------------------------------------------------------


def test_reinit_round_0_is_the_winners_round_0(reinit_run):
    cfg, run = reinit_run
    _, trained = run.round_state(0)
    recs = {(r["ticket"], r["seed"]): r for r in run.records() if r["round"] == 0}
    for seed in cfg.seeds:
        w, r = _index(cfg, "smallest", seed), _index(cfg, "reinit", seed)
        assert _equal_params(unstack(trained, w), unstack(trained, r))
        assert recs[("reinit", seed)]["psnr"] == recs[("winner", seed)]["psnr"]
    masks, _ = run.round_state(0)
    start = round_start(cfg, 0, masks, run.theta0())
    assert _equal_params(start, run.theta0())  # round 0: everyone from theta0, dense


def test_reinit_round_k_starts_from_a_fresh_masked_draw(reinit_run):
    cfg, run = reinit_run
    theta0 = run.theta0()
    for k in (1, 2):
        masks, trained = run.round_state(k)
        start = round_start(cfg, k, masks, theta0)
        for seed in cfg.seeds:
            w, r = _index(cfg, "smallest", seed), _index(cfg, "reinit", seed)
            fresh = init_network(cfg, reinit_seed(seed, k))
            for (sw, sb), (fw, fb), (tw, tb), m in zip(
                unstack(start, r), fresh, unstack(theta0, r), [m[r] for m in masks]
            ):
                m = m.bool()
                assert torch.equal(sw[m], fw[m])  # survivors: the fresh draw, bit for bit
                assert torch.count_nonzero(sw[~m]) == 0
                assert not torch.signbit(sw[~m]).any()  # pruned: +0.0
                assert torch.equal(sb, fb)  # biases: the fresh draw's
                assert not torch.equal(sw[m], tw[m]) and not torch.equal(sb, tb)
            # the winner goes back to theta0, masked
            assert _equal_params(
                unstack(start, w),
                L.rewind(unstack(theta0, w), [m[w] for m in masks]),
            )
            assert _equal_params(
                unstack(start, r), reinit_start(cfg, seed, k, [m[r] for m in masks])
            )
        # and the run really trained round k from there
        assert _equal_params(_replay(cfg, start, masks), trained)


def test_reinit_draws_differ_by_round_and_seed(reinit_run):
    cfg, _ = reinit_run
    draws = {(s, k): init_network(cfg, reinit_seed(s, k)) for s in (0, 1) for k in (1, 2)}
    keys = list(draws)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            assert not torch.equal(draws[a][1][0], draws[b][1][0]), (a, b)
    seeds = {reinit_seed(s, k) for s in range(50) for k in range(30)}
    assert len(seeds) == 50 * 30 and min(seeds) >= REINIT_SEED_OFFSET  # no theta0 seed reused


def test_reinit_fresh_draw_comes_from_the_init_distribution(reinit_run):
    cfg, run = reinit_run
    theta0 = run.theta0()
    for seed in cfg.seeds:
        t0 = unstack(theta0, _index(cfg, "smallest", seed))
        fresh = reinit_start(cfg, seed, 1, [torch.ones_like(w, dtype=torch.bool) for w, _ in t0])
        for i, ((w, b), (w0, _)) in enumerate(zip(fresh, t0)):
            bound = weight_bound(i, w.shape[1], cfg.omega_0)
            assert w.abs().max() <= bound
            assert w.abs().max() > 0.75 * bound  # the whole range, not a narrower one
            assert b.abs().max() <= 1.0 / w.shape[1] ** 0.5
            assert w.shape == w0.shape and not torch.equal(w, w0)


def test_reinit_relu_fresh_draw_uses_the_relu_init():
    cfg = L.make_config("tiny", side=16, width=16, model="relu-ff", strategies=WITH_REINIT)
    mask = [torch.ones_like(w, dtype=torch.bool) for w, _ in init_network(cfg, 0)]
    fresh = reinit_start(cfg, 0, 1, mask)
    assert [w.shape[1] for w, _ in fresh] == [16, 16, 16, 16]  # Fourier features in, no 2-D layer
    for w, b in fresh:
        bound = 1.0 / w.shape[1] ** 0.5
        assert w.abs().max() <= bound and w.abs().max() > 0.75 * bound
        assert b.abs().max() <= bound


# -- determinism and resuming -------------------------------------------------------------------


def _same_run(a, b):
    assert a.path.name == b.path.name
    assert [r["psnr"] for r in a.records()] == [r["psnr"] for r in b.records()]
    assert a.completed_rounds() == b.completed_rounds()
    for k in range(a.completed_rounds()):
        (ma, ta), (mb, tb) = a.round_state(k), b.round_state(k)
        assert all(torch.equal(x, y) for x, y in zip(ma, mb))
        assert _equal_params(ta, tb)


def test_reinit_runs_are_deterministic_and_resume_exactly(reinit_run, tmp_path):
    cfg, run = reinit_run
    again = L.run_experiment(cfg, root=tmp_path / "again", progress=False)
    _same_run(run, again)
    part = L.run_experiment(cfg, root=tmp_path / "part", progress=False, stop_after=1)
    assert part.completed_rounds() == 1
    resumed = L.run_experiment(cfg, root=tmp_path / "part", progress=False)
    _same_run(run, resumed)


# -- late rewinding -----------------------------------------------------------------------------


def test_late_rewinding_counts_are_those_of_init_rewinding(late_run, reinit_run):
    cfg, run = late_run
    total = L.parameter_count(cfg.width, cfg.depth)["weights"]
    expected = _alive_sequence(total, cfg.rounds)
    for seed in cfg.seeds:
        for ticket in ("winner", "reinit", "random", "loser"):
            got = [r["alive"] for r in run.records() if r["ticket"] == ticket and r["seed"] == seed]
            assert got == expected, (ticket, seed)
    assert run.path != reinit_run[1].path  # another run, not the init-rewinding one reused


def test_late_snapshot_is_the_weights_after_k_steps_of_round_0(late_run):
    cfg, run = late_run
    theta0 = run.theta0()
    full = [torch.ones_like(w, dtype=torch.bool) for w, _ in theta0]
    trainer = L.TicketTrainer(L.coordinate_grid(cfg.side), L.load_image(None, cfg.side).flat())
    trained, snap = trainer.fit(theta0, full, cfg.steps, cfg.lr, snapshot_step=5)
    late = run.load_params("theta_late.pt")
    assert _equal_params(late, snap)  # weights and biases, every ticket
    assert _equal_params(run.round_state(0)[1], trained)
    assert not torch.equal(late[1][0], theta0[1][0])  # it moved from step 0 ...
    assert not torch.equal(late[1][0], trained[1][0])  # ... but not all the way


def test_late_rewinding_round_k_starts_from_the_snapshot_masked(late_run):
    cfg, run = late_run
    late = run.load_params("theta_late.pt")
    for k in (1, 2):
        masks, trained = run.round_state(k)
        start = round_start(cfg, k, masks, run.theta0(), theta_late=late)
        for seed in cfg.seeds:
            for strategy in ("smallest", "random", "largest"):
                t = _index(cfg, strategy, seed)
                mask = [m[t] for m in masks]
                assert _equal_params(unstack(start, t), L.rewind(unstack(late, t), mask))
                for (w, _), m in zip(unstack(start, t), mask):
                    assert not torch.signbit(w[~m.bool()]).any()
            # the reinit ticket still draws afresh: the control is about the values at the start
            r = _index(cfg, "reinit", seed)
            assert _equal_params(
                unstack(start, r), reinit_start(cfg, seed, k, [m[r] for m in masks])
            )
        assert _equal_params(_replay(cfg, start, masks), trained)


def test_late_rewinding_is_deterministic(late_run, tmp_path):
    cfg, run = late_run
    again = L.run_experiment(cfg, root=tmp_path, progress=False)
    _same_run(run, again)
    assert _equal_params(run.load_params("theta_late.pt"), again.load_params("theta_late.pt"))


def test_late_and_init_rewinding_start_one_mask_at_different_weights(late_run, reinit_run):
    # the same masks at round 1 would start elsewhere under init rewinding
    cfg, run = late_run
    masks, _ = run.round_state(1)
    late = round_start(cfg, 1, masks, run.theta0(), theta_late=run.load_params("theta_late.pt"))
    init = round_start(reinit_run[0], 1, masks, run.theta0())
    w = _index(cfg, "smallest", 0)
    assert not torch.equal(late[1][0][w], init[1][0][w])


# -- config -------------------------------------------------------------------------------------


def test_siren_keys_are_those_of_runs_made_before_the_new_fields():
    # computed with the Config of the commit before `model` and `ff_sigma` existed
    assert L.make_config("tiny").key("abc") == "ea390a57"
    assert L.make_config("laptop").key("abc") == "8c66e887"
    assert L.make_config("blog", seeds=(0, 1)).key("0" * 64) == "78c61dd6"


def test_ff_sigma_only_keys_relu_runs():
    siren = L.make_config("tiny")
    assert siren.key("x") == L.make_config("tiny", ff_sigma=9.0).key("x")
    relu = L.make_config("tiny", model="relu-ff")
    assert relu.key("x") != siren.key("x")
    assert relu.key("x") != L.make_config("tiny", model="relu-ff", ff_sigma=9.0).key("x")
    assert siren.key("x") != L.make_config("tiny", strategies=WITH_REINIT).key("x")


def test_config_round_trips_the_new_fields():
    cfg = L.make_config("tiny", model="relu-ff", ff_sigma=3.0, strategies=WITH_REINIT)
    back = L.Config.from_json(cfg.to_json())
    assert back == cfg and back.key("x") == cfg.key("x")
    # a config.json written before the new fields loads as a siren
    old = {k: v for k, v in L.make_config("tiny").to_json().items() if k not in ("model",)}
    old.pop("ff_sigma")
    assert L.Config.from_json(old).model == "siren"
