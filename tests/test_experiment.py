import json

import pytest
import torch

import lthsiren as L
from lthsiren.errors import LthsirenError
from lthsiren.training.imp import make_trainer, train_round

QUICK = dict(side=16, width=16, steps=20, rounds=6)


def _stable(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def _final_state(run):
    masks, trained = run.round_state(run.completed_rounds() - 1)
    return masks, trained


def test_records_and_files(tmp_path):
    cfg = L.make_config("tiny", **QUICK)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    records = run.records()
    assert len(records) == 6 * 3
    assert set(records[0]) >= {
        "round",
        "ticket",
        "seed",
        "remaining",
        "alive",
        "psnr",
        "hfe",
        "loss",
        "seconds",
    }
    alive0 = L.parameter_count(16, 5)["weights"]
    assert [r["alive"] for r in records if r["ticket"] == "loser"][:3] == [
        alive0,
        alive0 - round(0.2 * alive0),
        alive0 - round(0.2 * alive0) - round(0.2 * (alive0 - round(0.2 * alive0))),
    ]
    assert run.image_path(5, "winner", 0).exists() and (run.path / "images/target.png").exists()
    info = json.loads((run.path / "config.json").read_text())
    assert info["config"]["steps"] == 20 and info["image"]["source"] == "grace_hopper"
    assert run.path.name.startswith("tiny-")
    # theta0 on disk is the seed's init, and the stored round-1 masks keep 80%
    assert torch.equal(run.theta0()[1][0][0], L.init_params(16, 5, 30.0, 0)[1][0])
    masks, _ = run.round_state(1)
    assert abs(L.remaining_fraction([m[0] for m in masks]) - 0.8) < 1e-3


def test_same_seed_same_results(tmp_path):
    cfg = L.make_config("tiny", **QUICK)
    a = L.run_experiment(cfg, root=tmp_path / "a", progress=False)
    b = L.run_experiment(cfg, root=tmp_path / "b", progress=False)
    assert _stable(a.records()) == _stable(b.records())


def test_resume_after_interruption_equals_an_uninterrupted_run(tmp_path):
    cfg = L.make_config("tiny", **QUICK)
    whole = L.run_experiment(cfg, root=tmp_path / "whole", progress=False)

    part = L.run_experiment(cfg, root=tmp_path / "part", progress=False, stop_after=3)
    assert part.completed_rounds() == 3
    # a crash after round 3's state was saved but before its records: round 3 is redone
    masks, trained = part.round_state(2)
    torch.save({"garbage": torch.zeros(1)}, part.path / part.round_file(3))
    (part.path / ".records.jsonl.123.tmp").write_text("half a line")  # stray temp file
    resumed = L.run_experiment(cfg, root=tmp_path / "part", progress=False)
    assert resumed.path.name == whole.path.name
    assert _stable(resumed.records()) == _stable(whole.records())
    for a, b in zip(_final_state(resumed)[1], _final_state(whole)[1]):
        assert torch.equal(a[0], b[0])


def test_longer_run_extends_a_shorter_one(tmp_path):
    short = L.run_experiment(
        L.make_config("tiny", **{**QUICK, "rounds": 3}), root=tmp_path, progress=False
    )
    longer = L.run_experiment(L.make_config("tiny", **QUICK), root=tmp_path, progress=False)
    assert short.path == longer.path and longer.completed_rounds() == 6
    fresh = L.run_experiment(L.make_config("tiny", **QUICK), root=tmp_path / "f", progress=False)
    assert _stable(longer.records()) == _stable(fresh.records())


def test_cached_run_is_loaded_not_retrained(tmp_path):
    cfg = L.make_config("tiny", **QUICK)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    stamp = (run.path / "records.jsonl").stat().st_mtime_ns
    again = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert (again.path / "records.jsonl").stat().st_mtime_ns == stamp
    forced = L.run_experiment(cfg, root=tmp_path, progress=False, force=True)
    assert (forced.path / "records.jsonl").stat().st_mtime_ns != stamp


def test_damaged_results_are_repaired_keeping_every_intact_round(tmp_path):
    cfg = L.make_config("tiny", **QUICK)
    whole = L.run_experiment(cfg, root=tmp_path / "whole", progress=False).records()
    run = L.run_experiment(cfg, root=tmp_path, progress=False, stop_after=4)
    before = run.records()
    (run.path / run.round_file(2)).write_bytes(b"not a torch file")
    notes = []
    L.run_experiment(cfg, root=tmp_path, progress=False, notify=notes.append)
    assert any(
        "round_02.pt" in n and "kept rounds 0 to 1, resuming from round 2" in n for n in notes
    )
    assert run.records()[:6] == before[:6]  # rounds 0 and 1 kept as they were, seconds too
    assert _stable(run.records()) == _stable(whole)
    # a damaged last line of the records: the rounds before it are kept
    lines = (run.path / "records.jsonl").read_text().splitlines()
    (run.path / "records.jsonl").write_text("\n".join(lines[:-2] + ['{"round": 5, "tick']))
    notes.clear()
    L.run_experiment(cfg, root=tmp_path, progress=False, notify=notes.append)
    assert any("records.jsonl (line 17 on)" in n and "kept rounds 0 to 4" in n for n in notes)
    assert _stable(run.records()) == _stable(whole)


def test_seeds_batch_together(tmp_path):
    cfg = L.make_config("tiny", **{**QUICK, "rounds": 2}, seeds=(0, 1))
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    recs = run.records()
    assert len(recs) == 2 * 6
    r0 = {(r["ticket"], r["seed"]): r["psnr"] for r in recs if r["round"] == 0}
    # round 0 is the dense net: identical for the three tickets of a seed, not across seeds
    assert r0[("winner", 0)] == r0[("loser", 0)] == r0[("random", 0)]
    assert r0[("winner", 0)] != r0[("winner", 1)]
    masks, _ = run.round_state(1)
    random_0, random_1 = masks[2][1], masks[2][4]  # tickets: (s, 0) x 3, then (s, 1) x 3
    assert not torch.equal(random_0, random_1)


def test_bad_image_leaves_no_run_dir(tmp_path):
    cfg = L.make_config("tiny", image=str(tmp_path / "missing.png"))
    with pytest.raises(LthsirenError, match="image not found"):
        L.run_experiment(cfg, root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def tiny_records(tmp_path_factory):
    cfg = L.make_config("tiny")
    return L.run_experiment(cfg, root=tmp_path_factory.mktemp("runs"), progress=False).records()


def _psnr(records, ticket, k):
    return next(r["psnr"] for r in records if r["ticket"] == ticket and r["round"] == k)


def test_science_at_tiny_winner_random_loser_at_64_percent(tiny_records):
    k = next(r["round"] for r in tiny_records if abs(r["remaining"] - 0.64) < 0.005)
    assert (
        _psnr(tiny_records, "winner", k)
        > _psnr(tiny_records, "random", k)
        > _psnr(tiny_records, "loser", k)
    )


def test_science_at_tiny_loser_collapses_by_round_2_and_stays(tiny_records):
    losers = [r["psnr"] for r in tiny_records if r["ticket"] == "loser" and r["round"] >= 2]
    assert len(losers) == 19 and max(losers) < 13.0
    assert _psnr(tiny_records, "loser", 0) > 30.0  # it was a good dense net before pruning


def test_science_at_tiny_winner_beats_random_at_10_percent(tiny_records):
    k = next(r["round"] for r in tiny_records if abs(r["remaining"] - 0.107) < 0.005)
    assert _psnr(tiny_records, "winner", k) > _psnr(tiny_records, "random", k) + 3.0


def _replay_round(run, cfg, k, start):
    """Train round ``k`` by hand from ``start`` with the stored mask: what the run should hold."""
    masks, _ = run.round_state(k)
    trainer = make_trainer(cfg, L.load_image(cfg.image, cfg.side), torch.device("cpu"))
    trained, _, _ = train_round(cfg, trainer, k, L.rewind(start, masks), masks)
    return trained


def test_finetune_continues_from_the_pruned_trained_weights(tmp_path):
    cfg = L.make_config("tiny", **{**QUICK, "rounds": 3}, rewind="finetune")
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    _, trained1 = run.round_state(1)
    expected = _replay_round(run, cfg, 2, trained1)
    for (w, _), (we, _) in zip(run.round_state(2)[1], expected):
        assert torch.equal(w, we)


def test_late_rewinding_rewinds_to_step_k_of_round_0(tmp_path):
    cfg = L.make_config("tiny", **{**QUICK, "rounds": 3}, rewind="step:5")
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    theta0 = run.theta0()
    full = [torch.ones_like(w, dtype=torch.bool) for w, _ in theta0]
    trainer = L.TicketTrainer(L.coordinate_grid(cfg.side), L.load_image(None, cfg.side).flat())
    _, snap = trainer.fit(theta0, full, cfg.steps, cfg.lr, snapshot_step=5)
    late = run.load_params("theta_late.pt")
    assert all(torch.equal(a[0], b[0]) for a, b in zip(late, snap))
    expected = _replay_round(run, cfg, 2, late)
    for (w, _), (we, _) in zip(run.round_state(2)[1], expected):
        assert torch.equal(w, we)
    # and resuming a late-rewinding run gives the same records
    part = L.run_experiment(cfg, root=tmp_path / "p", progress=False, stop_after=1)
    part = L.run_experiment(cfg, root=tmp_path / "p", progress=False)
    assert _stable(part.records()) == _stable(run.records())


@pytest.mark.parametrize("value", ["late", "step:0", "step:x", "step:20", "step:-3"])
def test_bad_rewind_values(value):
    with pytest.raises(LthsirenError, match="--rewind"):
        L.make_config("tiny", **QUICK, rewind=value)
