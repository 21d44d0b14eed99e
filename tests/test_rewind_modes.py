"""What each round starts from (lthsiren.training.rewinding): ``lr-rewind`` (formerly ``finetune``)
keeps the old runs and their keys, ``continue`` fine-tunes at a constant lr/10, and ``rewind_until``
stops rewinding after round K; every mode resumes to exactly what an unbroken run gives."""

import json

import pytest
import torch

import lthsiren as L
from lthsiren.cli import main
from lthsiren.training import rewinding
from lthsiren.training.engine import TicketTrainer, cosine_lr, schedule_lr
from lthsiren.training.imp import make_trainer, round_start, train_round
from lthsiren.training.minibatch import for_round
from lthsiren.training.plan import THETA0, THETA_LATE, TRAINED, plan_round

QUICK = dict(side=16, width=16, steps=10, rounds=4)


def _stable(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def _round(records, k):
    return _stable([r for r in records if r["round"] == k])


def _same(a, b) -> bool:
    return all(torch.equal(x, y) and torch.equal(u, v) for (x, u), (y, v) in zip(a, b))


def _run(root, **kw):
    return L.run_experiment(L.make_config("tiny", **{**QUICK, **kw}), root=root, progress=False)


# -- the old name --------------------------------------------------------------------------------


def test_finetune_is_now_lr_rewind_with_a_one_line_note(capsys):
    from lthsiren.config import config_notes

    assert L.make_config("tiny", rewind="finetune").rewind == "lr-rewind"
    assert capsys.readouterr().err == ""  # the factory prints nothing: the CLI says it
    (note,) = config_notes({"rewind": "finetune"})
    assert "\n" not in note and "lr-rewind" in note and "continue" in note
    assert config_notes({"rewind": "lr-rewind"}) == []  # the current name says nothing
    stored = {**L.Config().to_json(), "rewind": "finetune"}  # a config.json of an old run
    assert L.Config.from_json(stored).rewind == "lr-rewind"


def test_the_cli_says_it_once(tmp_path, capsys):
    args = ["--side", "16", "--width", "8", "--steps", "3", "--rounds", "2", "--quiet"]
    out = ["--out", str(tmp_path)]
    assert main(["run", "--preset", "tiny", *args, "--rewind", "finetune", *out]) == 0
    err = capsys.readouterr().err
    assert err.count("now called lr-rewind") == 1, err
    run = L.RunDir(next(tmp_path.iterdir()))
    assert run.info()["config"]["rewind"] == "lr-rewind"


# Computed by the code before the rename, for make_config("tiny", **KEYED).key("abc").
KEYED = dict(side=16, width=16, steps=10, rounds=3)
OLD_KEYS = {"finetune": "9b7251c7", "init": "f077f6b8", "step:3": "890f3188"}


def test_run_keys_of_stored_runs_do_not_change():
    key = lambda **kw: L.make_config("tiny", **KEYED, **kw).key("abc")  # noqa: E731
    assert key(rewind="lr-rewind") == key(rewind="finetune") == OLD_KEYS["finetune"]
    assert key(rewind="init") == OLD_KEYS["init"] and key(rewind="step:3") == OLD_KEYS["step:3"]
    # the new settings make new runs only where they are used
    new = {key(rewind="continue"), key(rewind_until=1), key(rewind_until=0), key(rewind_until=2)}
    assert len(new) == 4 and not new & set(OLD_KEYS.values())


def test_an_old_finetune_folder_is_found_loaded_and_extended(tmp_path):
    run = _run(tmp_path, rewind="lr-rewind", rounds=2)
    info = run.info()
    info["config"]["rewind"] = "finetune"  # as the old code wrote it
    del info["config"]["rewind_until"]
    run.write_info(info)
    stamp = (run.path / "records.jsonl").stat().st_mtime_ns
    again = _run(tmp_path, rewind="lr-rewind", rounds=2)
    assert again.path == run.path and (run.path / "records.jsonl").stat().st_mtime_ns == stamp
    longer = _run(tmp_path, rewind="lr-rewind", rounds=3)
    fresh = _run(tmp_path / "fresh", rewind="lr-rewind", rounds=3)
    assert longer.path == run.path and _stable(longer.records()) == _stable(fresh.records())


def test_lr_rewind_trains_the_pruned_trained_weights_on_a_fresh_cosine(tmp_path):
    """The old finetune, replayed by hand: round k starts from round k-1's trained weights,
    masked, and trains the full cosine schedule from lr (as an ``init`` round does)."""
    cfg = L.make_config("tiny", **QUICK, rewind="lr-rewind")
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    plain = L.make_config("tiny", **QUICK)  # its rounds train cosine from lr
    trainer = make_trainer(cfg, L.load_image(cfg.image, cfg.side), torch.device("cpu"))
    for k in (1, 2, 3):
        masks, trained = run.round_state(k)
        start = L.rewind(run.round_state(k - 1)[1], masks)
        assert _same(train_round(plain, trainer, k, start, masks)[0], trained)


# -- the learning-rate schedules -----------------------------------------------------------------


def test_schedule_lr():
    cosine = [cosine_lr(0.1, s, 7) for s in range(7)]
    assert [schedule_lr("cosine", 0.1, s, 7) for s in range(7)] == cosine
    assert [schedule_lr("constant", 0.1, s, 7) for s in range(7)] == [0.1] * 7
    with pytest.raises(ValueError, match="schedule"):
        schedule_lr("linear", 0.1, 0, 7)


def _schedule(cfg, k):
    plan = plan_round(cfg, k)
    return plan.schedule, plan.lr


def test_which_round_trains_at_which_rate():
    lr = 1e-3
    cont = L.make_config("tiny", lr=lr, rewind="continue")
    assert rewinding.CONTINUE_LR_FACTOR == 0.1
    assert _schedule(cont, 0) == ("cosine", lr)  # round 0 trains the dense net
    assert _schedule(cont, 1) == _schedule(cont, 20) == ("constant", lr / 10)
    until = L.make_config("tiny", lr=lr, rewind="continue", rewind_until=2)
    kinds = [_schedule(until, k)[0] for k in range(5)]
    assert kinds == ["cosine", "constant", "constant", "cosine", "cosine"]
    for mode in ("init", "lr-rewind", "step:3"):
        cfg = L.make_config("tiny", lr=lr, rewind=mode, rewind_until=1)
        assert all(_schedule(cfg, k) == ("cosine", lr) for k in range(5))


def test_where_each_round_starts():
    starts = lambda **kw: [plan_round(L.make_config("tiny", **kw), k).start for k in range(4)]  # noqa: E731
    assert starts() == [THETA0] * 4
    assert starts(rewind="step:3") == [THETA0, THETA_LATE, THETA_LATE, THETA_LATE]
    assert starts(rewind="step:3", rewind_until=1) == [THETA0, THETA_LATE, TRAINED, TRAINED]
    assert starts(rewind_until=0) == [THETA0, TRAINED, TRAINED, TRAINED]
    for mode in ("lr-rewind", "finetune", "continue"):
        assert starts(rewind=mode) == [THETA0, TRAINED, TRAINED, TRAINED]
    # only round 0 of a step:K run keeps the weights after K steps
    late = L.make_config("tiny", rewind="step:3", rewind_until=0)
    assert [plan_round(late, k).snapshot_step for k in range(3)] == [3, None, None]
    assert plan_round(L.make_config("tiny"), 0).snapshot_step is None
    # mini-batches: the rows of (first seed, round), none without --batch
    assert plan_round(L.make_config("tiny"), 1).batches is None
    batched = plan_round(L.make_config("tiny", batch=100, seeds=(4, 2)), 2).batches
    again = for_round(L.make_config("tiny", batch=100, seeds=(4, 2)), 2)
    assert batched.size == 100
    assert torch.equal(
        torch.cat(list(batched.epoch(1024, "cpu"))), torch.cat(list(again.epoch(1024, "cpu")))
    )
    with pytest.raises(ValueError, match="round 1 starts from theta_late"):
        plan_round(L.make_config("tiny", rewind="step:3"), 1).start_weights("theta0")


@pytest.fixture
def rates(monkeypatch):
    """Every learning rate the engine steps with, in order."""
    seen = []
    step = TicketTrainer._adam_step

    def record(self, lr, n):
        seen.append(lr)
        step(self, lr, n)

    monkeypatch.setattr(TicketTrainer, "_adam_step", record)
    return seen


def test_the_engine_steps_at_the_scheduled_rates(tmp_path, rates):
    cfg = L.make_config("tiny", **{**QUICK, "rounds": 3}, rewind="continue", rewind_until=1)
    L.run_experiment(cfg, root=tmp_path, progress=False)
    cosine = [cosine_lr(cfg.lr, s, cfg.steps) for s in range(cfg.steps)]
    assert rates == cosine + [cfg.lr * 0.1] * cfg.steps + cosine


def test_continue_fine_tunes_from_the_trained_weights_at_a_constant_rate(tmp_path):
    cfg = L.make_config("tiny", **QUICK, rewind="continue")
    run = L.run_experiment(cfg, root=tmp_path / "c", progress=False)
    lrr = _run(tmp_path / "l", rewind="lr-rewind")
    # round 0 is the same dense training; round 1 differs only by its schedule
    assert _round(run.records(), 0) == _round(lrr.records(), 0)
    assert _same(run.round_state(0)[1], lrr.round_state(0)[1])
    assert _round(run.records(), 1) != _round(lrr.records(), 1)
    # round 1, replayed: round 0's trained weights, masked, fresh Adam, lr/10 at every step
    masks, trained = run.round_state(1)
    start = L.rewind(run.round_state(0)[1], masks)
    trainer = L.TicketTrainer(L.coordinate_grid(cfg.side), L.load_image(None, cfg.side).flat())
    ref, _ = trainer.fit(start, masks, cfg.steps, cfg.lr / 10, schedule="constant")
    for (w, b), (wr, br) in zip(trained, ref):  # dense vs. structure-aware: float rounding
        torch.testing.assert_close(w, wr, rtol=0, atol=1e-6)
        torch.testing.assert_close(b, br, rtol=0, atol=1e-6)
    for m, (w, _) in zip(masks, trained):
        assert torch.count_nonzero(w[~m]) == 0


# -- rewind_until --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["init", "step:3"])
def test_rewind_until_rewinds_up_to_k_then_trains_on(tmp_path, mode):
    K = 1
    cfg = L.make_config("tiny", **QUICK, rewind=mode, rewind_until=K)
    run = L.run_experiment(cfg, root=tmp_path / "u", progress=False)
    plain = _run(tmp_path / "p", rewind=mode)
    for k in range(K + 1):  # rounds up to K: exactly the plain run
        assert _round(run.records(), k) == _round(plain.records(), k)
        assert _same(run.round_state(k)[1], plain.round_state(k)[1])
    assert _round(run.records(), K + 1) != _round(plain.records(), K + 1)
    theta0 = run.theta0()
    late = run.load_params("theta_late.pt") if mode != "init" else None
    trainer = make_trainer(cfg, L.load_image(cfg.image, cfg.side), torch.device("cpu"))
    cosine = L.make_config("tiny", **QUICK)  # an init run's rounds train cosine from lr
    for k in range(K + 1, cfg.rounds):
        masks, trained = run.round_state(k)
        before = run.round_state(k - 1)[1]
        start = round_start(cfg, k, masks, theta0, late, before)
        for m, (w, b), (wb, bb) in zip(masks, start, before):
            assert torch.count_nonzero(w[~m]) == 0 and not torch.signbit(w[~m]).any()
            assert torch.equal(w[m], wb[m]) and torch.equal(b, bb)  # survivors as trained
        # trained on from there with the full cosine schedule
        assert _same(train_round(cosine, trainer, k, start, masks)[0], trained)
        assert all(torch.count_nonzero(w[~m]) == 0 for m, (w, _) in zip(masks, trained))


@pytest.mark.parametrize(
    "kw,stop",
    [
        (dict(rewind_until=1), 2),  # resumes at the first round that trains on
        (dict(rewind_until=1), 3),
        (dict(rewind_until=0, rewind="step:3"), 2),
        (dict(rewind="continue"), 2),
    ],
    ids=["until1-stop2", "until1-stop3", "late-until0", "continue"],
)
def test_resume_equals_an_unbroken_run(tmp_path, kw, stop):
    cfg = L.make_config("tiny", **QUICK, **kw)
    whole = L.run_experiment(cfg, root=tmp_path / "whole", progress=False)
    part = L.run_experiment(cfg, root=tmp_path / "part", progress=False, stop_after=stop)
    assert part.completed_rounds() == stop
    # a crash after the next round's state was saved but before its records: it is redone
    torch.save({"garbage": torch.zeros(1)}, part.path / part.round_file(stop))
    resumed = L.run_experiment(cfg, root=tmp_path / "part", progress=False)
    assert resumed.path.name == whole.path.name
    assert _stable(resumed.records()) == _stable(whole.records())
    for k in range(cfg.rounds):
        masks, trained = resumed.round_state(k)
        assert _same(trained, whole.round_state(k)[1])
        assert all(torch.count_nonzero(w[~m]) == 0 for m, (w, _) in zip(masks, trained))


def test_rewind_until_through_the_cli_is_stored(tmp_path):
    args = ["--side", "16", "--width", "8", "--steps", "3", "--rounds", "3", "--quiet"]
    args += ["--rewind-until", "0", "--out", str(tmp_path)]
    assert main(["run", "--preset", "tiny", *args]) == 0
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "config.json").read_text())["config"]["rewind_until"] == 0
