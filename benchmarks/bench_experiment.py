"""Time a whole lottery-ticket experiment, round by round: our engine against the stock loop.

Ours: :func:`lthsiren.training.imp.train_round` as ``lthsiren run`` calls it (round 0 once per seed,
each ticket narrowed to the neurons that still reach the output), and, with ``--dense``, the same
engine with every weight paid for (the engine before structure-aware training). Baseline: what
the reference code does, one ``Siren`` per ticket with ``torch.nn.utils.prune`` hooks, autograd,
``torch.optim.Adam`` and ``CosineAnnealingLR``, tickets one after another
(``benchmarks/stock.py``). Every method trains the same tickets: each round's masks and starting
weights come from one stored run of the preset (made first if it is not in the store).

Each round is timed over ``--steps`` steps for every method, the methods interleaved (their
order alternating) and repeated ``--repeats`` times; a round's cost is the median of its
repeats, scaled to the preset's steps per round. The whole-run figure is the sum over rounds.

    python benchmarks/bench_experiment.py --preset laptop --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from stock import train_reference

import lthsiren as L
from lthsiren.config import resolve_device
from lthsiren.network.ticket import mask_of, unstack
from lthsiren.training.imp import make_trainer, round_start, train_round


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="laptop")
    ap.add_argument("--steps", type=int, default=60, help="timed steps per round and method")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--rounds", type=int, nargs="*", help="rounds to time (default: all)")
    ap.add_argument("--dense", action="store_true", help="also time the engine without pruning")
    ap.add_argument("--root", default=None, help="results store of the run the masks come from")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = L.make_config(args.preset, device=args.device)
    device = resolve_device(cfg.device)
    run = L.run_experiment(cfg, root=args.root)
    target = L.load_image(cfg.image, cfg.side)
    coords, pixels = L.coordinate_grid(cfg.side).to(device), target.flat().to(device)
    theta0 = run.theta0()
    short = L.Config.from_json({**cfg.to_json(), "steps": args.steps})
    scale = cfg.steps / args.steps
    print(
        f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, preset "
        f"{cfg.preset} ({cfg.side}x{cfg.side}, width {cfg.width}, {len(cfg.tickets())} tickets,"
        f" {cfg.steps} steps/round); {args.steps} steps timed per round and method, "
        f"median of {args.repeats}, methods interleaved"
    )

    def ours(k, masks, aware):
        start = round_start(cfg, k, masks, theta0)
        trainer = make_trainer(short, target, device)
        return lambda: train_round(short, trainer, k, start, masks, structure_aware=aware)

    def stock(k, masks):
        start = round_start(cfg, k, masks, theta0)

        def go():
            for t in range(len(cfg.tickets())):
                p, m = unstack(start, t), mask_of(masks, t)
                train_reference(p, m, coords, pixels, args.steps, cfg.lr, cfg.omega_0)

        return go

    methods = ["ours", "stock"] + (["dense"] if args.dense else [])
    rounds = args.rounds if args.rounds else list(range(run.completed_rounds()))
    head = f"{'round':>5} {'remaining':>9} " + " ".join(f"{m + ' s':>9}" for m in methods)
    print(head + f" {'stock/ours':>10}")
    totals = dict.fromkeys(methods, 0.0)
    warm = [m.to(device) for m in run.round_state(rounds[0])[0]]
    for job in (ours(rounds[0], warm, True), stock(rounds[0], warm)):
        job()  # first calls pay for allocation and autograd's start-up: not timed
    for k in rounds:
        masks = [m.to(device) for m in run.round_state(k)[0]]
        jobs = {"ours": ours(k, masks, True), "stock": stock(k, masks)}
        if args.dense:
            jobs["dense"] = ours(k, masks, False)
        seconds = {m: [] for m in methods}
        for r in range(args.repeats):
            for m in methods if r % 2 == 0 else methods[::-1]:
                seconds[m].append(timed(jobs[m], device) * scale)
        med = {m: statistics.median(v) for m, v in seconds.items()}
        for m in methods:
            totals[m] += med[m]
        rem = 100 * L.remaining_fraction(mask_of(run.round_state(k)[0], 0))
        cells = " ".join(f"{med[m]:>9.2f}" for m in methods)
        print(f"{k:>5} {rem:>8.1f}% {cells} {med['stock'] / med['ours']:>9.2f}x", flush=True)
    cells = " ".join(f"{totals[m]:>9.1f}" for m in methods)
    print(f"{'all':>5} {'':>9} {cells} {totals['stock'] / totals['ours']:>9.2f}x")
    if args.dense:
        print(f"dense engine / structure-aware: {totals['dense'] / totals['ours']:.2f}x")


if __name__ == "__main__":
    main()
