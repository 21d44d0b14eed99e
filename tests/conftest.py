"""Shared fixtures: small problems that run in well under a second on a CPU."""

import pytest
import torch

import lthsiren as L
from lthsiren.experiment import stack_params
from lthsiren.pruning import full_mask, prune_step


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    # No test may write into the repository's runs/ or the user's download cache.
    monkeypatch.setenv("LTHSIREN_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("LTHSIREN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LTHSIREN_PRESET", raising=False)


@pytest.fixture(scope="session")
def small_problem():
    """A 16x16 target, its coordinates, and three width-32 tickets with three different masks."""
    side, width = 16, 32
    coords = L.coordinate_grid(side)
    target = L.load_image(None, side).flat()
    theta = [L.init_params(width, 5, 30.0, seed) for seed in (0, 1, 2)]
    masks = []
    for th, strategy in zip(theta, L.STRATEGIES):
        w = [a for a, _ in th]
        masks.append(prune_step(w, full_mask(w), strategy, 0.5, torch.Generator().manual_seed(0)))
    params = stack_params([L.rewind(th, m) for th, m in zip(theta, masks)])
    batched_masks = [torch.stack([m[i] for m in masks]) for i in range(len(masks[0]))]
    return dict(
        coords=coords,
        target=target,
        theta=theta,
        masks=masks,
        params=params,
        batched_masks=batched_masks,
    )
