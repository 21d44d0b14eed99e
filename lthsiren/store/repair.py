"""Repairing a damaged run folder instead of starting it over.

A full disk, a copy cut short or a hand edit can damage a run folder. Throwing it away (``lthsiren
run --force``) would throw away every intact round with it, so a rerun calls :func:`repair`
first: it keeps every complete round whose files load and agree with the records (the round file
holds one network and mask per ticket of the settings, and each ticket's alive count is the one
its record gives), drops the first damaged round and everything after it, rewrites what can be
rebuilt from the settings alone (``config.json``, ``theta0.pt``), and says which file was
damaged and what was kept; the run then resumes after the last kept round. ``--force`` is only
for starting over.
"""

from __future__ import annotations

from ..errors import DamagedFile, LthsirenError
from ..training.imp import initial_params
from .rundir import complete_round_records


def _shapes(params) -> list[tuple]:
    return [(tuple(w.shape), tuple(b.shape)) for w, b in params]


def repair(run, cfg, info: dict, notify=None) -> int:
    """Make the existing run folder ``run`` fit to resume ``cfg`` (``info``: what its
    ``config.json`` should hold) and return its number of complete rounds."""
    damage: list[str] = []
    try:
        run.config()
    except LthsirenError as e:
        damage.append(f"config.json ({_why(e)}; rewritten from these settings)")
        run.write_info(info)
    records, bad_line = run.read_records()
    if bad_line is not None:
        damage.append(f"records.jsonl (line {bad_line} on)")
    rounds = complete_round_records(records, cfg.tickets())
    expected = _shapes(initial_params(cfg))
    try:
        ok = _shapes(run.theta0()) == expected
    except LthsirenError:
        ok = False
    if not ok:
        damage.append("theta0.pt (rebuilt from the settings)")
        run.write_theta0(initial_params(cfg))
    done = 0
    for k, recs in enumerate(rounds):
        name = run.round_file(k)
        try:
            masks, trained = run.round_state(k)
        except LthsirenError as e:
            damage.append(f"{name} ({_why(e)})")
            break
        alive = [sum(int(m[t].sum()) for m in masks) for t in range(len(recs))]
        if _shapes(trained) != expected or alive != [r["alive"] for r in recs]:
            damage.append(f"{name} (it does not agree with records.jsonl)")
            break
        done = k + 1
    if done and cfg.rewind_step() is not None:
        try:
            ok = _shapes(run.load_params("theta_late.pt")) == expected
        except LthsirenError:
            ok = False
        if not ok:  # only round 0 makes it again
            damage.append("theta_late.pt (round 0 must be trained again to remake it)")
            done = 0
    kept = [r for r in records if r["round"] < done]
    if damage or len(kept) != len(records):
        run.write_records(kept)
    if damage and notify is not None:
        what = f"kept rounds 0 to {done - 1}, resuming from round {done}"
        what = what if done else "no round could be kept, starting from round 0"
        notify(f"{run.path} was damaged: {'; '.join(damage)}; {what}")
    return done


def _why(err: LthsirenError) -> str:
    return err.reason if isinstance(err, DamagedFile) else "unreadable"
