import pytest
import torch

import lthsiren as L
from lthsiren.errors import LthsirenError
from lthsiren.network.pruning import prune_step
from lthsiren.network.ticket import alive_count, full_mask


def _weights(seed=0, width=32):
    return [w for w, _ in L.init_params(width, 5, 30.0, seed)]


@pytest.mark.parametrize("strategy", L.STRATEGIES)
def test_each_round_removes_exactly_the_fraction_of_alive_weights(strategy):
    weights = _weights()
    mask = full_mask(weights)
    gen = torch.Generator().manual_seed(0)
    alive = alive_count(mask)
    for _ in range(8):
        # fresh "trained" weights each round, as after retraining
        weights = [w + 0.01 * torch.randn(w.shape, generator=gen) for w in weights]
        new = prune_step(weights, mask, strategy, 0.2, gen)
        expected = alive - round(0.2 * alive)
        assert alive_count(new) == expected
        # a pruned weight never comes back
        assert all(not (n & ~m).any() for n, m in zip(new, mask))
        mask, alive = new, expected


def test_remaining_fraction_follows_0_8_to_the_k():
    weights = _weights(width=256)
    mask = full_mask(weights)
    for _ in range(20):
        mask = prune_step(weights, mask, "smallest", 0.2)
    alive = 197_888
    for _ in range(20):
        alive -= round(0.2 * alive)
    assert alive_count(mask) == alive == 2_282  # SPEC: "about 2,280 weights"
    assert abs(L.remaining_fraction(mask) - 0.8**20) < 1e-4


def test_pruned_zeros_never_enter_the_ranking():
    # With already-pruned weights set to exactly 0, a naive ranking over all weights would
    # "remove" zeros again; ours must remove 20% of the alive ones.
    weights = _weights()
    mask = prune_step(weights, full_mask(weights), "smallest", 0.5)
    zeroed = [w * m for w, m in zip(weights, mask)]
    new = prune_step(zeroed, mask, "smallest", 0.2)
    assert alive_count(new) == alive_count(mask) - round(0.2 * alive_count(mask))


@pytest.mark.parametrize("strategy,removes_large", [("largest", True), ("smallest", False)])
def test_magnitude_strategies_remove_the_right_end_globally(strategy, removes_large):
    weights = _weights()
    mask = prune_step(weights, full_mask(weights), "random", 0.3, torch.Generator().manual_seed(1))
    new = prune_step(weights, mask, strategy, 0.2)
    mag = torch.cat([w.abs().flatten() for w in weights])
    was = torch.cat([m.flatten() for m in mask])
    now = torch.cat([m.flatten() for m in new])
    removed, kept = mag[was & ~now], mag[now]
    if removes_large:
        assert removed.min() >= kept.max()
    else:
        assert removed.max() <= kept.min()


def test_ranking_is_global_not_per_layer():
    weights = _weights()
    new = prune_step(weights, full_mask(weights), "largest", 0.2)
    per_layer = [1 - float(m.float().mean()) for m in new]
    # the first layer (bound 1/2) and the others (bound ~0.0144) are pruned very differently
    assert max(per_layer) - min(per_layer) > 0.3


def test_random_strategy_is_seeded_and_uniform():
    weights = _weights()
    a = prune_step(weights, full_mask(weights), "random", 0.2, torch.Generator().manual_seed(4))
    b = prune_step(weights, full_mask(weights), "random", 0.2, torch.Generator().manual_seed(4))
    c = prune_step(weights, full_mask(weights), "random", 0.2, torch.Generator().manual_seed(5))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
    # uniform: each big layer loses close to 20%
    for m in a[1:4]:
        assert abs((1 - m.float().mean()) - 0.2) < 0.02


def test_rewind_is_bit_exact():
    theta0 = L.init_params(32, 5, 30.0, 0)
    weights = [w + 1.0 for w, _ in theta0]  # "trained" weights, far from theta0
    mask = prune_step(weights, full_mask(weights), "smallest", 0.2)
    rewound = L.rewind(theta0, mask)
    for (w, b), (w0, b0), m in zip(rewound, theta0, mask):
        assert torch.equal(w[m], w0[m])  # survivors: their exact step-0 values
        assert torch.equal(w[~m], torch.zeros_like(w[~m]))  # pruned: exactly 0
        assert not torch.signbit(w[~m]).any()  # and +0.0
        assert torch.equal(b, b0)


def test_bad_strategy_and_fraction():
    weights = _weights()
    with pytest.raises(LthsirenError, match="unknown strategy 'biggest'"):
        prune_step(weights, full_mask(weights), "biggest")
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="fraction"):
            prune_step(weights, full_mask(weights), "smallest", bad)


def test_derived_generators_draw_what_they_always_drew():
    # stored runs resume with these draws: a change here changes every resumed random ticket,
    # budget control and mini-batch order (values from before the generators shared a helper)
    from lthsiren.network.pruning import budget_generator, prune_generator, reinit_seed
    from lthsiren.training.minibatch import batch_generator

    def draws(gen):
        return torch.randint(0, 1000, (4,), generator=gen).tolist()

    assert draws(prune_generator(2, 3)) == [539, 951, 668, 921]
    assert draws(budget_generator(0, 1)) == [34, 794, 505, 437]
    assert draws(batch_generator(1, 0)) == [233, 780, 979, 846]
    assert reinit_seed(3, 4) == 8_000_016
