"""Ticket transfer between images (lthsiren.chapters.transfer) and the second sample image."""

import json

import pytest
import torch

import lthsiren as L
from lthsiren.chapters.transfer import (
    _check_pair,
    chance_overlap,
    mask_overlap,
    transfer_tickets,
)
from lthsiren.errors import LthsirenError
from lthsiren.settings import Config

QUICK = dict(side=16, width=16, steps=20, rounds=3, seeds=(0, 1), strategies=("smallest", "random"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a = L.run_experiment(L.make_config("tiny", **QUICK), root=root, progress=False)
    with_budget = {**QUICK, "strategies": ("smallest", "random", "budget")}
    b = L.run_experiment(
        L.make_config("tiny", **with_budget, image="present"), root=root, progress=False
    )
    return a, b


def _winner(run, k, seed):
    return next(
        r
        for r in run.records()
        if r["round"] == k and r["ticket"] == "winner" and r["seed"] == seed
    )


def test_transfer_gives_one_record_per_round_and_seed(runs, tmp_path):
    a, b = runs
    recs = transfer_tickets(a, b, [2, 1], root=tmp_path, progress=False)
    assert [(r["round"], r["seed"]) for r in recs] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    for r in recs:
        own = _winner(b, r["round"], r["seed"])
        assert r["remaining"] == own["remaining"]
        assert r["own_winner"] == own["psnr"]
        rnd = next(
            x
            for x in b.records()
            if (x["round"], x["ticket"], x["seed"]) == (r["round"], "random", r["seed"])
        )
        assert r["random"] == rnd["psnr"]
        budget = next(
            x
            for x in b.records()
            if (x["round"], x["ticket"], x["seed"]) == (r["round"], "budget", r["seed"])
        )
        assert r["budget"] == budget["psnr"]
        # two masks that keep most of the first layer share more than the global density
        assert r["remaining"] < r["chance_overlap"] < 1.0
        assert (r["source"], r["target"]) == ("grace_hopper", "present")
        assert 0.0 < r["overlap"] < 1.0  # two images' winners share some, not all, weights
        assert r["transferred"] == r["transferred"] and r["transferred"] != r["own_winner"]
    # the overlap is that of the stored winner masks
    ma, _ = a.round_state(2)
    mb, _ = b.round_state(2)
    ta, tb = (run.config().tickets().index(("smallest", 1)) for run in (a, b))
    assert recs[3]["overlap"] == mask_overlap([m[ta] for m in ma], [m[tb] for m in mb])
    assert len(list(tmp_path.glob("transfer-*.json"))) == 1


def test_transfer_onto_itself_reproduces_the_own_winner(runs, tmp_path):
    a, _ = runs
    recs = transfer_tickets(a, a, [1, 2], root=tmp_path, progress=False)
    for r in recs:
        own = _winner(a, r["round"], r["seed"])
        assert abs(r["transferred"] - own["psnr"]) < 1e-9
        assert r["own_winner"] == own["psnr"] and r["overlap"] == 1.0


def test_transfer_without_a_budget_ticket_records_none(runs, tmp_path):
    a, b = runs
    recs = transfer_tickets(b, a, [1], root=tmp_path, progress=False)
    assert all(r["budget"] is None for r in recs)


def test_chance_overlap_uses_per_layer_densities():
    # layer 1: 10 weights, A keeps 8, B keeps 5; layer 2: 90 weights, A keeps 9, B keeps 18
    a = [torch.arange(10) < 8, torch.arange(90) < 9]
    b = [torch.arange(10) >= 5, torch.arange(90) >= 72]
    expected = (10 * 0.8 * 0.5 + 90 * 0.1 * 0.2) / (8 + 9)
    assert chance_overlap(a, b) == pytest.approx(expected, rel=1e-12)
    # the global density (23 of 100) would say 0.23: per layer it is 0.341
    assert chance_overlap(a, b) == pytest.approx(5.8 / 17)
    # equal densities in every layer: the global density
    same = [torch.arange(10) < 5, torch.arange(90) < 45]
    assert chance_overlap(same, same) == pytest.approx(0.5)
    # the mean overlap of many random masks with these per-layer counts approaches it
    g = torch.Generator().manual_seed(0)

    def draw(counts, sizes):
        return [torch.randperm(n, generator=g) < c for c, n in zip(counts, sizes)]

    mean = sum(mask_overlap(draw((8, 9), (10, 90)), draw((5, 18), (10, 90))) for _ in range(4000))
    assert mean / 4000 == pytest.approx(expected, abs=0.01)
    assert chance_overlap([torch.zeros(4, dtype=torch.bool)], [torch.ones(4)]) != 0  # NaN


def test_mask_overlap():
    g = torch.Generator().manual_seed(0)
    a = [torch.rand(16, 2, generator=g) > 0.5, torch.rand(3, 16, generator=g) > 0.3]
    assert mask_overlap(a, a) == 1.0
    assert mask_overlap(a, [~m for m in a]) == 0.0
    full = [torch.ones_like(m) for m in a]
    assert mask_overlap(a, full) == 1.0
    alive = sum(int(m.sum()) for m in a)
    assert mask_overlap(full, a) == alive / sum(m.numel() for m in a)
    # integer 0/1 masks count the same as booleans
    assert mask_overlap([m.int() for m in a], [m.float() for m in full]) == 1.0
    empty = [torch.zeros_like(m) for m in a]
    assert mask_overlap(empty, a) != mask_overlap(empty, a)  # NaN: no survivors to share


def test_second_call_loads_the_cached_results(runs, tmp_path, monkeypatch):
    a, b = runs
    first = transfer_tickets(a, b, [1], root=tmp_path, progress=False)

    def no_training(*args, **kwargs):
        raise AssertionError("retrained although the results are cached")

    monkeypatch.setattr(L.TicketTrainer, "fit_tickets", no_training)
    assert transfer_tickets(a, b, [1], root=tmp_path, progress=False) == first
    with pytest.raises(AssertionError, match="retrained"):  # other rounds are another file
        transfer_tickets(a, b, [2], root=tmp_path, progress=False)
    with pytest.raises(AssertionError, match="retrained"):  # and force retrains
        transfer_tickets(a, b, [1], root=tmp_path, progress=False, force=True)
    (path,) = tmp_path.glob("transfer-*.json")
    assert json.loads(path.read_text())["records"] == first
    path.write_text('{"records": [')
    with pytest.raises(LthsirenError, match="damaged"):
        transfer_tickets(a, b, [1], root=tmp_path, progress=False)


def test_rounds_not_complete_are_rejected(runs, tmp_path):
    a, b = runs
    with pytest.raises(LthsirenError, match="not complete"):
        transfer_tickets(a, b, [1, 3], root=tmp_path, progress=False)
    with pytest.raises(LthsirenError, match="not complete"):
        transfer_tickets(a, b, [-1], root=tmp_path, progress=False)
    assert not list(tmp_path.glob("transfer-*.json"))


def test_runs_that_differ_are_rejected(runs, tmp_path):
    a, _ = runs
    wider = L.run_experiment(
        L.make_config("tiny", **{**QUICK, "width": 18, "rounds": 2, "steps": 2}, image="present"),
        root=tmp_path / "runs",
        progress=False,
    )
    with pytest.raises(LthsirenError, match="differ in width"):
        transfer_tickets(a, wider, [1], root=tmp_path, progress=False)


# tiny runs on one image that differ only in how their rounds train
SMALL = dict(side=16, width=12, steps=8, rounds=3, strategies=("smallest", "random"))


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    settings = {
        "init": {},
        "step": dict(rewind="step:3"),
        "batch": dict(batch=100),  # 3 mini-batches per epoch, the last one 56 pixels
        "step-batch": dict(rewind="step:2", batch=100, seeds=(3, 1)),
        "lr-rewind": dict(rewind="lr-rewind"),
        "until": dict(rewind_until=1),
    }
    return {
        name: L.run_experiment(L.make_config("tiny", **SMALL, **kw), root=root, progress=False)
        for name, kw in settings.items()
    }


@pytest.mark.parametrize("name", ["init", "step", "batch", "step-batch"])
def test_transfer_onto_the_same_image_reproduces_the_own_winner(small_runs, name, tmp_path):
    """A mask trained on the image it was found on, as its run trained it: its start (theta0, or
    theta_late for step:K), its schedule and its mini-batches; a plain full-batch cosine from
    theta0 misses the own winner of the step and batch runs."""
    run = small_runs[name]
    recs = transfer_tickets(run, run, [0, 1, 2], root=tmp_path, progress=False)
    assert [(r["round"], r["seed"]) for r in recs] == [
        (k, s) for k in (0, 1, 2) for s in run.config().seeds
    ]
    for r in recs:
        assert r["overlap"] == 1.0
        assert r["transferred"] == pytest.approx(
            _winner(run, r["round"], r["seed"])["psnr"], abs=1e-6
        )


def test_rounds_that_carry_on_trained_weights_are_refused(small_runs, tmp_path):
    lrr, until = small_runs["lr-rewind"], small_runs["until"]
    with pytest.raises(
        LthsirenError,
        match=r"rounds \[1, 2\] cannot be transferred: under --rewind lr-rewind they start "
        "from the previous round's trained weights",
    ):
        transfer_tickets(lrr, lrr, [0, 1, 2], root=tmp_path, progress=False)
    with pytest.raises(
        LthsirenError,
        match=r"rounds \[2\] .*--rewind init --rewind-until 1 .*use rounds that rewind",
    ):
        transfer_tickets(until, until, [1, 2], root=tmp_path, progress=False)
    assert not list(tmp_path.glob("transfer-*.json"))
    # the rounds that rewind still transfer, exactly as the runs trained them
    for run, k in ((lrr, 0), (until, 1)):
        (rec,) = transfer_tickets(run, run, [k], root=tmp_path, progress=False)
        assert rec["transferred"] == pytest.approx(_winner(run, k, 0)["psnr"], abs=1e-6)


@pytest.mark.parametrize(
    "other,field", [("batch", "batch"), ("until", "rewind_until"), ("step", "rewind")]
)
def test_runs_that_train_differently_are_rejected(small_runs, other, field, tmp_path):
    with pytest.raises(LthsirenError, match=f"differ in {field}: transfer needs runs alike"):
        transfer_tickets(small_runs["init"], small_runs[other], [1], root=tmp_path, progress=False)


def test_every_training_setting_is_compared(small_runs):
    trains = set(Config.training_fields())
    assert {"batch", "rewind_until", "omega_0", "ff_sigma", "steps", "lr"} <= trains
    run = small_runs["init"]

    class Differs:  # run's settings, but one field keyed differently
        def __init__(self, cfg, field):
            self._cfg, self._field = cfg, field

        def key_fields(self):
            return {**self._cfg.key_fields(), self._field: "something else"}

        def __getattr__(self, name):
            return getattr(self._cfg, name)

    class Other:  # a run whose config differs from ``run``'s in one field
        def __init__(self, cfg):
            self.path, self.cfg = run.path, cfg

        def config(self):
            return self.cfg

    for field in Config.training_fields():
        other = Other(Differs(run.config(), field))
        with pytest.raises(LthsirenError, match=f"differ in {field}: "):
            _check_pair(run, other, [1])
        with pytest.raises(LthsirenError, match=f"differ in {field}: "):
            _check_pair(other, run, [1])


def test_target_without_a_random_ticket_is_rejected(runs, tmp_path):
    a, _ = runs
    winners_only = L.run_experiment(
        L.make_config("tiny", **{**QUICK, "strategies": ("smallest",), "rounds": 2}),
        root=tmp_path / "runs",
        progress=False,
    )
    with pytest.raises(LthsirenError, match="no random ticket"):
        transfer_tickets(a, winners_only, [1], root=tmp_path, progress=False)


def test_present_is_a_bundled_sample_image():
    img = L.load_image("present", 16)
    assert img.pixels.shape == (16, 16, 3)
    assert img.pixels.min() >= -1.0 and img.pixels.max() <= 1.0
    assert img.source == "present"
    assert any("transparency" in note for note in img.notes)
    assert img.sha256 != L.load_image("grace_hopper", 16).sha256
    assert torch.equal(img.pixels, L.load_image("present", 16).pixels)
