"""The loser's first prune under one change of regime at a time (lthsiren.chapters.regimes)."""

import pytest
import torch

from lthsiren.chapters.regimes import (
    CHANGES,
    changed_config,
    first_prune_rows,
    first_prune_runs,
    thread_spread,
)
from lthsiren.config import make_config


def test_each_change_alters_one_setting_of_the_preset():
    base = make_config("laptop")
    plain = changed_config("laptop", (0,), CHANGES["as the preset"])
    assert (plain.strategies, plain.rounds, plain.seeds) == (("largest",), 2, (0,))
    assert changed_config("laptop", (0,), CHANGES["width x2"]).width == 256
    assert changed_config("laptop", (0,), CHANGES["side x2"]).side == 128
    slow = changed_config("laptop", (0,), CHANGES["lr / 10, steps x 10/3"])
    assert slow.lr == pytest.approx(1e-4) and slow.steps == 1000
    for cfg in (plain, slow):
        assert (cfg.width, cfg.side) == (base.width, base.side)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    small = {"as the preset": {}, "width x2": {"width": 2}}
    import lthsiren.chapters.regimes as regimes

    saved = dict(regimes.CHANGES)
    regimes.CHANGES.clear()
    regimes.CHANGES.update(small)
    try:
        return first_prune_runs("tiny", (0, 1), root=root, progress=False), root
    finally:
        regimes.CHANGES.clear()
        regimes.CHANGES.update(saved)


def test_first_prune_rows_are_the_stored_loser(runs):
    by_change, _ = runs
    rows = first_prune_rows(by_change["width x2"])
    assert [r["seed"] for r in rows] == [0, 1]
    for row in rows:
        # one prune of 20% of all weights, counted over the layers
        total = sum(row["sizes"])
        assert sum(row["alive"]) == total - round(0.2 * total)
        assert row["sizes"][1] == 96 * 96  # width doubled from 48
        # the largest weights are the first layer's: it loses more than a fifth of itself
        assert row["alive"][0] < 0.8 * row["sizes"][0]
        assert row["first_prune"] < row["dense"]


def test_thread_spread_matches_the_stored_run_and_is_cached(runs):
    by_change, root = runs
    run = by_change["as the preset"]
    stored = [r["first_prune"] for r in first_prune_rows(run)]
    n = torch.get_num_threads()
    spread = thread_spread(run.config(), threads=(n,), root=root)
    # the same training as the stored run when the thread count is the same
    assert spread[n] == stored
    assert torch.get_num_threads() == n  # put back
    files = sorted(root.glob(f"first-prune-threads{n}-*.json"))
    assert len(files) == 1
    files[0].write_text(files[0].read_text().replace(str(spread[n][0]), "123.0"))
    assert thread_spread(run.config(), threads=(n,), root=root)[n][0] == 123.0
