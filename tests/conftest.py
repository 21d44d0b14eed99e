"""Shared fixtures: small problems that run in well under a second on a CPU."""

import pytest
import torch

import lthsiren as L
from lthsiren.network.pruning import prune_step
from lthsiren.network.ticket import full_mask, stack


@pytest.fixture(autouse=True, scope="session")
def _cpu_by_default():
    """Every run a test makes with ``device="auto"`` goes to the CPU, where runs are compared bit
    for bit, so a machine with CUDA runs the very same comparisons; the ``gpu``-marked tests ask
    for ``cuda`` by name."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LTHSIREN_DEVICE", "cpu")
        yield


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    # No test may write into the repository's runs/ or the user's download cache.
    monkeypatch.setenv("LTHSIREN_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("LTHSIREN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LTHSIREN_PRESET", raising=False)


def three_pruned_tickets(theta):
    """Prune half of each of three networks, one per strategy, and batch them: the masks, the
    rewound batched parameters and the batched masks."""
    masks = []
    for th, strategy in zip(theta, L.STRATEGIES):
        w = [a for a, _ in th]
        masks.append(prune_step(w, full_mask(w), strategy, 0.5, torch.Generator().manual_seed(0)))
    params = stack([L.rewind(th, m) for th, m in zip(theta, masks)])
    batched_masks = [torch.stack([m[i] for m in masks]) for i in range(len(masks[0]))]
    return dict(theta=theta, masks=masks, params=params, batched_masks=batched_masks)


@pytest.fixture(scope="session")
def pruned_tickets():
    """:func:`three_pruned_tickets`, for test modules that bring their own networks."""
    return three_pruned_tickets


TINY_RUN = dict(side=16, width=16, steps=10, rounds=4)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One stored tiny run (16x16, width 16, 10 steps, 4 rounds, three tickets of seed 0) that
    the tests which only read a run share. Tests that write into a run make their own."""
    cfg = L.make_config("tiny", **TINY_RUN)
    return L.run_experiment(cfg, root=tmp_path_factory.mktemp("shared-run"), progress=False)


@pytest.fixture(scope="session")
def small_problem():
    """A 16x16 target, its coordinates, and three width-32 tickets with three different masks."""
    side, width = 16, 32
    theta = [L.init_params(width, 5, 30.0, seed) for seed in (0, 1, 2)]
    return dict(
        coords=L.coordinate_grid(side),
        target=L.load_image(None, side).flat(),
        **three_pruned_tickets(theta),
    )


@pytest.fixture(scope="session")
def target():
    """The bundled default picture at 64x64, as [64, 64, 3] on [-1, 1] (the metric tests)."""
    return L.load_image(None, 64).pixels
