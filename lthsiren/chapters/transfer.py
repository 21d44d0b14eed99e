"""Ticket transfer: does a winning mask found on one image also win on another? (SPEC claim 3.)

Notebook 08's helper. Two ordinary runs of :func:`lthsiren.experiment.run_experiment`, one per
image, with the same network, seeds and protocol, give everything but the transferred tickets: image
B's own winner and random ticket at every round. A transferred ticket takes image A's winning mask
at round ``k`` and the seed's ``theta0`` (the same in both runs: ``theta0`` depends on the seed
alone), rewinds, and trains one round on image B with B's steps and learning rate, exactly as B's
own tickets of round ``k`` were trained. All (round, seed) pairs train together, batched.

Two controls sit beside it: B's random ticket (a mask that knows nothing) and, when B's run has
it, B's ``budget`` ticket (a random mask with B's winner's per-layer counts: it knows how many
weights each layer keeps, not which). The overlap of the two winners' masks is compared with what
two independent random masks *with the winners' per-layer densities* would share
(:func:`chance_overlap`), not with the global density. The results are stored as one JSON file
beside the runs, written atomically and loaded instead of retrained next time. Notebook 08 runs it
both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..config import resolve_device
from ..data import load_image
from ..errors import LthsirenError
from ..hashing import short_hash
from ..imp import make_trainer
from ..metrics import psnr
from ..progress import bar as progress_bar
from ..pruning import rewind
from ..store import RunDir, default_root, write_text
from ..ticket import mask_of, stack, stack_masks, ticket_index, unstack


def _check_pair(run_a: RunDir, run_b: RunDir, rounds) -> None:
    a, b = run_a.config(), run_b.config()
    same = ("side", "width", "depth", "omega_0", "steps", "lr", "prune_fraction", "model", "rewind")
    diff = [f for f in same if getattr(a, f) != getattr(b, f)]
    if diff:
        raise LthsirenError(f"the two runs differ in {', '.join(diff)}: transfer needs runs alike")
    for run, cfg, needs in ((run_a, a, ("smallest",)), (run_b, b, ("smallest", "random"))):
        missing = [s for s in needs if s not in cfg.strategies]
        if missing:
            raise LthsirenError(f"{run.path} has no {', '.join(missing)} ticket: rerun with it")
    if not set(b.seeds) >= set(a.seeds):
        raise LthsirenError(f"{run_b.path} lacks seeds of {run_a.path}: use the same seeds")
    done = min(run_a.completed_rounds(), run_b.completed_rounds())
    bad = [k for k in rounds if not 0 <= k < done]
    if bad:
        raise LthsirenError(f"rounds {bad} are not complete in both runs: use 0 to {done - 1}")


# bump when the records change shape: 2 added the budget control and the per-layer chance overlap
_FORMAT = 2


def _key(run_a: RunDir, run_b: RunDir, rounds) -> str:
    what = {"a": run_a.path.name, "b": run_b.path.name, "rounds": sorted(rounds), "v": _FORMAT}
    return short_hash(what)


def mask_overlap(mask_a: list[torch.Tensor], mask_b: list[torch.Tensor]) -> float:
    """Share of A's surviving weights that also survive in B (1.0: the same mask)."""
    both = sum(int((a.bool() & b.bool()).sum()) for a, b in zip(mask_a, mask_b))
    alive = sum(int(a.bool().sum()) for a in mask_a)
    return both / alive if alive else float("nan")


def chance_overlap(mask_a: list[torch.Tensor], mask_b: list[torch.Tensor]) -> float:
    """The :func:`mask_overlap` two independent random masks would have on average if each layer
    ``l`` (``n_l`` weights) kept the same share ``d_A,l`` and ``d_B,l`` as A and B do:
    ``sum_l n_l d_A,l d_B,l / sum_l n_l d_A,l``. Global magnitude pruning keeps most of the first
    layer and little of the others, so this is far above the global density."""
    both = alive = 0.0
    for a, b in zip(mask_a, mask_b):
        n = a.numel()
        d_a, d_b = int(a.bool().sum()) / n, int(b.bool().sum()) / n
        both += n * d_a * d_b
        alive += n * d_a
    return both / alive if alive else float("nan")


def transfer_tickets(
    run_a: RunDir, run_b: RunDir, rounds, root=None, progress: bool = True, force: bool = False
) -> list[dict]:
    """Train A's winning masks at ``rounds`` on B; one record per (round, seed) with the
    transferred ticket's PSNR on B, B's own winner's, random and (``None`` when B's run has no
    such ticket) budget ticket's, the two winners' mask overlap and its chance level.
    Load-if-cached."""
    rounds = sorted({int(k) for k in rounds})
    _check_pair(run_a, run_b, rounds)
    root = Path(root) if root is not None else default_root()
    path = root / f"transfer-{_key(run_a, run_b, rounds)}.json"
    if path.exists() and not force:
        try:
            return json.loads(path.read_text())["records"]
        except (json.JSONDecodeError, KeyError) as e:
            raise LthsirenError(
                f"results file {path} is damaged ({type(e).__name__}); delete it to recompute"
            ) from None

    cfg_a, cfg_b = run_a.config(), run_b.config()
    device = resolve_device(cfg_b.device)
    target = load_image(cfg_b.image, cfg_b.side)
    if target.sha256 != run_b.info()["image"]["sha256"]:
        raise LthsirenError(f"the image of {run_b.path} has changed since it ran; rerun it")
    theta0_a, theta0_b = run_a.theta0(), run_b.theta0()
    own = {(r["round"], r["ticket"], r["seed"]): r for r in run_b.records()}

    jobs, starts, masks = [], [], []
    for k in rounds:
        masks_a, _ = run_a.round_state(k)
        masks_b, _ = run_b.round_state(k)
        for seed in cfg_a.seeds:
            ta, tb = ticket_index(cfg_a, "smallest", seed), ticket_index(cfg_b, "smallest", seed)
            theta = unstack(theta0_a, ta)
            for (wa, ba), (wb, bb) in zip(theta, unstack(theta0_b, tb)):
                if not (torch.equal(wa, wb) and torch.equal(ba, bb)):
                    raise LthsirenError(f"seed {seed} starts from different weights in the runs")
            mask = mask_of(masks_a, ta)
            mask_b = mask_of(masks_b, tb)
            jobs.append((k, seed, mask_overlap(mask, mask_b), chance_overlap(mask, mask_b)))
            masks.append(mask)
            starts.append(rewind(theta, mask))

    stacked_masks = [m.to(device) for m in stack_masks(masks)]
    start = [(w.to(device), b.to(device)) for w, b in stack(starts)]
    trainer = make_trainer(cfg_b, target, device)
    with progress_bar(total=cfg_b.steps, desc="transfer", disable=not progress, unit="step") as b:
        trainer.fit(start, stacked_masks, cfg_b.steps, cfg_b.lr, on_step=lambda _: b.update())
    recon = trainer.predict().cpu()

    records = []
    for t, (k, seed, overlap, chance) in enumerate(jobs):
        img = recon[t].reshape(cfg_b.side, cfg_b.side, 3)
        winner_b, random_b = own[(k, "winner", seed)], own[(k, "random", seed)]
        budget_b = own.get((k, "budget", seed))
        records.append(
            {
                "round": k,
                "seed": seed,
                "remaining": winner_b["remaining"],
                "transferred": psnr(img, target.pixels),
                "own_winner": winner_b["psnr"],
                "random": random_b["psnr"],
                "budget": budget_b["psnr"] if budget_b else None,
                "overlap": overlap,
                "chance_overlap": chance,
                "source": cfg_a.image,
                "target": cfg_b.image,
            }
        )
    write_text(path, json.dumps({"a": str(run_a.path), "b": str(run_b.path), "records": records}))
    return records
