"""Ticket transfer: does a winning mask found on one image also win on another? (the write-up's
claim 3.)

The ReLU-and-transfer chapter's helper. Two ordinary runs of
:func:`lthsiren.experiment.run_experiment`, one per
image, with the same network, seeds and protocol (every setting of
:meth:`lthsiren.settings.Config.training_fields`), give everything but the transferred tickets:
image B's own winner and random ticket at every round. A transferred ticket takes image A's winning
mask at round ``k`` and trains one round on image B exactly as B's own tickets of round ``k`` were
trained, as round ``k``'s plan says (:func:`lthsiren.training.plan.plan_round`): from the same
start, masked, with the same schedule and learning rate, on the same mini-batches (``--batch``: the
same rows, in the same order), structure-aware as the loop is. It differs from B's own winner in its
mask alone, so a transfer from a run onto itself gives back that run's winners. The start is the
seed's ``theta0`` (the same in both runs, checked: ``theta0`` depends on the seed alone) or, for
``step:K``, B's own ``theta_late``: the weights after K steps of B's round 0, where B's tickets
rewind to (A's would be the weights after K steps on the other image). The seeds of one round train
together, batched, one round after the other.

Rounds whose plan starts from the previous round's trained weights (every round after 0 under
``lr-rewind`` and ``continue``, and the rounds after ``rewind_until``) are refused: B's own
ticket there carries on its own trained weights of round ``k - 1``, and a mask from another image
has none on B to carry on. Borrowing B's winner's weights under A's mask would start the ticket
from weights that B's own mask shaped, which is neither ticket; transfer rounds that rewind.

Two controls sit beside it: B's random ticket (a mask that knows nothing) and, when B's run has
it, B's ``budget`` ticket (a random mask with B's winner's per-layer counts: it knows how many
weights each layer keeps, not which). The overlap of the two winners' masks is compared with what
two independent random masks *with the winners' per-layer densities* would share
(:func:`chance_overlap`), not with the global density. The results are stored as one JSON file
beside the runs, written atomically and loaded instead of retrained next time. The ReLU-and-transfer
chapter runs it both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..config import resolve_device
from ..data import load_image
from ..errors import LthsirenError
from ..hashing import short_hash
from ..metrics import psnr
from ..network.pruning import rewind
from ..network.ticket import mask_of, ticket_index, unstack
from ..progress import bar as progress_bar
from ..store import RunDir, default_root, write_text
from ..training.imp import make_trainer, train_tickets
from ..training.plan import THETA_LATE, TRAINED, plan_round


def _check_pair(run_a: RunDir, run_b: RunDir, rounds) -> None:
    a, b = run_a.config(), run_b.config()
    keyed_a, keyed_b = a.key_fields(), b.key_fields()  # the settings that apply, as keyed
    diff = [f for f in a.training_fields() if keyed_a.get(f) != keyed_b.get(f)]
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
    carried = [k for k in rounds if plan_round(b, k).start == TRAINED]
    if carried:
        until = "" if b.rewind_until is None else f" --rewind-until {b.rewind_until}"
        raise LthsirenError(
            f"rounds {carried} cannot be transferred: under --rewind {b.rewind}{until} they start "
            "from the previous round's trained weights, which a mask from another run does not "
            "have; use rounds that rewind, or runs with --rewind init or step:K"
        )


# bump when the records change: 2 added the budget control and the per-layer chance overlap,
# 3 trains as B's own round (step:K start, lr-rewind/continue schedule, mini-batches)
_FORMAT = 3


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
    late_b = run_b.load_params("theta_late.pt") if cfg_b.rewinding.mode == "step" else None
    own = {(r["round"], r["ticket"], r["seed"]): r for r in run_b.records()}
    # each seed's winner: its ticket in A and in B
    index = {s: tuple(ticket_index(c, "smallest", s) for c in (cfg_a, cfg_b)) for s in cfg_a.seeds}
    for seed, (ta, tb) in index.items():
        for (wa, ba), (wb, bb) in zip(unstack(theta0_a, ta), unstack(theta0_b, tb)):
            if not (torch.equal(wa, wb) and torch.equal(ba, bb)):
                raise LthsirenError(f"seed {seed} starts from different weights in the runs")

    jobs, recon = [], []
    trainer = make_trainer(cfg_b, target, device)
    bar = progress_bar(
        total=cfg_b.steps * len(rounds), desc="transfer", disable=not progress, unit="step"
    )
    with bar:
        for k in rounds:
            plan = plan_round(cfg_b, k)  # B's own round k: its start, schedule and mini-batches
            masks_a, _ = run_a.round_state(k)
            masks_b, _ = run_b.round_state(k)
            starts, masks = [], []
            for seed, (ta, tb) in index.items():
                theta = unstack(late_b if plan.start == THETA_LATE else theta0_b, tb)
                mask, mask_b = mask_of(masks_a, ta), mask_of(masks_b, tb)
                jobs.append((k, seed, mask_overlap(mask, mask_b), chance_overlap(mask, mask_b)))
                masks.append([m.to(device) for m in mask])
                starts.append([(w.to(device), b.to(device)) for w, b in rewind(theta, mask)])
            train_tickets(trainer, plan, starts, masks, on_step=lambda _: bar.update())
            recon.append(trainer.predict().cpu())
    recon = torch.cat(recon)

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
