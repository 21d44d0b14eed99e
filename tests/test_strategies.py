"""The pruning rules beyond global IMP, random and anti-IMP, and the budget control: exact
counts per layer, the right weights removed, determinism and resume."""

import pytest
import torch

import lthsiren as L
from lthsiren.errors import LthsirenError
from lthsiren.network.pruning import budget_generator, budget_mask
from lthsiren.network.ticket import alive_per_layer, full_mask, mask_of

FRACTION = 0.2


@pytest.fixture(scope="module")
def net():
    weights = [w for w, _ in L.init_params(32, 5, 30.0, seed=7)]
    mask = full_mask(weights)
    # a second round's starting mask: one global prune, so the layers hold uneven counts
    mask = L.prune_step(weights, mask, "smallest", FRACTION)
    return weights, mask


def _removed_and_kept(w, before, after):
    return w[before & ~after].abs(), w[after].abs()


@pytest.mark.parametrize("strategy", ["smallest-layer", "largest-layer"])
def test_per_layer_rules_remove_a_fifth_of_each_layer_by_its_own_ranking(net, strategy):
    weights, mask = net
    new = L.prune_step(weights, mask, strategy, FRACTION)
    for w, before, after in zip(weights, mask, new):
        alive = int(before.sum())
        assert int(after.sum()) == alive - round(FRACTION * alive)
        assert not (after & ~before).any()  # nothing pruned comes back
        removed, kept = _removed_and_kept(w, before, after)
        if strategy.startswith("smallest"):
            assert removed.max() <= kept.min()
        else:
            assert removed.min() >= kept.max()


def test_largest_not_first_keeps_the_first_layer_and_ranks_the_rest_together(net):
    weights, mask = net
    new = L.prune_step(weights, mask, "largest-not-first", FRACTION)
    assert torch.equal(new[0], mask[0])
    rest = sum(int(m.sum()) for m in mask[1:])
    assert sum(int(m.sum()) for m in new[1:]) == rest - round(FRACTION * rest)
    removed = torch.cat([w[b & ~a].abs() for w, b, a in zip(weights[1:], mask[1:], new[1:])])
    kept = torch.cat([w[a].abs() for w, a in zip(weights[1:], new[1:])])
    assert removed.min() >= kept.max()


def test_the_global_rules_are_unchanged(net):
    # global IMP removes across layers: it does not take a fifth of each layer
    weights, mask = net
    glob = L.prune_step(weights, mask, "smallest", FRACTION)
    per_layer = L.prune_step(weights, mask, "smallest-layer", FRACTION)
    assert alive_per_layer(glob) != alive_per_layer(per_layer)
    assert sum(alive_per_layer(glob)) == sum(alive_per_layer(mask)) - round(
        FRACTION * sum(alive_per_layer(mask))
    )


def test_a_budget_mask_has_the_winners_counts_in_every_layer_and_other_weights(net):
    _, mask = net
    drawn = budget_mask(mask, budget_generator(0, 1))
    assert alive_per_layer(drawn) == alive_per_layer(mask)
    assert any(not torch.equal(a, b) for a, b in zip(drawn, mask))
    again = budget_mask(mask, budget_generator(0, 1))
    assert all(torch.equal(a, b) for a, b in zip(drawn, again))
    other = budget_mask(mask, budget_generator(1, 1))
    assert any(not torch.equal(a, b) for a, b in zip(drawn, other))


QUICK = dict(side=16, width=16, steps=10, rounds=4, seeds=(0, 1))
STRATS = ("smallest", "budget", "smallest-layer", "largest-layer", "largest-not-first")


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    cfg = L.make_config("tiny", **QUICK, strategies=STRATS)
    return cfg, L.run_experiment(cfg, root=tmp_path_factory.mktemp("budget"), progress=False)


def test_budget_tickets_take_the_winners_per_layer_counts_every_round(budget_run):
    cfg, run = budget_run
    for k in range(cfg.rounds):
        masks, _ = run.round_state(k)
        for seed in cfg.seeds:
            winner = mask_of(masks, L.ticket_index(cfg, "winner", seed))
            budget = mask_of(masks, L.ticket_index(cfg, "budget", seed))
            assert alive_per_layer(budget) == alive_per_layer(winner)
            if k > 0:
                assert any(not torch.equal(a, b) for a, b in zip(budget, winner))


def test_new_rules_run_deterministically_and_resume_exactly(budget_run, tmp_path):
    cfg, run = budget_run
    names = {r["ticket"] for r in run.records()}
    assert {"budget", "winner-layer", "loser-layer", "loser-not-first"} <= names
    part = L.run_experiment(cfg, root=tmp_path, progress=False, stop_after=2)
    resumed = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert part.path == resumed.path
    for k in range(cfg.rounds):
        (ma, ta), (mb, tb) = run.round_state(k), resumed.round_state(k)
        assert all(torch.equal(a, b) for a, b in zip(ma, mb))
        assert all(torch.equal(a[0], b[0]) for a, b in zip(ta, tb))


def test_the_first_layer_keeps_all_its_weights_under_largest_not_first(budget_run):
    cfg, run = budget_run
    masks, _ = run.round_state(cfg.rounds - 1)
    assert bool(mask_of(masks, L.ticket_index(cfg, "loser-not-first"))[0].all())


def test_budget_needs_the_winner():
    with pytest.raises(LthsirenError, match="list smallest too"):
        L.make_config("tiny", strategies=("random", "budget"))
