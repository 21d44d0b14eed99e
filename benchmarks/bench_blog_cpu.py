"""Project the full ``blog`` experiment (256x256, width 256, 1,000 steps x 21 rounds, 3 tickets)
on a CPU: the engine with every weight paid for against structure-aware training.

A real ``blog`` round takes 15-40 minutes on a 2-core CPU, so this times a few steps of some
rounds (by default 0, 1, 2, 5, 10, 15 and 20) for both, interleaved and repeated (median), and
projects each round to 1,000 steps; rounds in between are interpolated linearly between the
measured ones. The masks
come from a ``blog``-size run with ``--mask-steps`` steps per round (default 1, so it finishes in
minutes): its pruning follows the weights' magnitudes after that little training, so which
neurons die may differ from a fully trained run's, and the projection of the structure-aware
engine is only as good as that stand-in (the dense engine's cost does not depend on the masks).

    python benchmarks/bench_blog_cpu.py --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import lthsiren as L
from lthsiren.network.compaction import live_neurons
from lthsiren.network.ticket import mask_of
from lthsiren.training.imp import make_trainer, round_start, train_round


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3, help="timed steps per round and engine")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, nargs="+", default=[0, 1, 2, 5, 10, 15, 20])
    ap.add_argument("--mask-steps", type=int, default=1, help="steps per round of the mask run")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--root", default=None, help="results store for the mask run")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = L.make_config("blog", device="cpu")
    mask_cfg = L.make_config("blog", device="cpu", steps=args.mask_steps)
    run = L.run_experiment(mask_cfg, root=args.root)
    target = L.load_image(cfg.image, cfg.side)
    theta0 = run.theta0()
    short = L.Config.from_json({**cfg.to_json(), "steps": args.steps})
    scale = cfg.steps / args.steps
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; blog preset, "
        f"{len(cfg.tickets())} tickets; {args.steps} steps timed per round and engine, median "
        f"of {args.repeats}, interleaved; masks from a blog run with {args.mask_steps} "
        "step(s) per round"
    )
    print(f"{'round':>5} {'remaining':>9} {'dense s':>9} {'aware s':>9} {'ratio':>6}  live neurons")
    cost = {"dense": {}, "aware": {}}
    for k in args.rounds:
        masks = run.round_state(k)[0]
        start = round_start(cfg, k, masks, theta0)
        trainers = {e: make_trainer(short, target, torch.device("cpu")) for e in cost}
        for e, tr in trainers.items():  # first call allocates: not timed
            train_round(short, tr, k, start, masks, structure_aware=e == "aware")
        seconds = {e: [] for e in cost}
        for r in range(args.repeats):
            for e in ("dense", "aware") if r % 2 == 0 else ("aware", "dense"):
                t0 = time.perf_counter()
                train_round(short, trainers[e], k, start, masks, structure_aware=e == "aware")
                seconds[e].append((time.perf_counter() - t0) * scale)
        for e in cost:
            cost[e][k] = statistics.median(seconds[e])
        live = [
            [k_.numel() for k_ in live_neurons(mask_of(masks, t))]
            for t in range(len(cfg.tickets()))
        ]
        rem = 100 * L.remaining_fraction(mask_of(masks, 0))
        print(
            f"{k:>5} {rem:>8.2f}% {cost['dense'][k]:>9.0f} {cost['aware'][k]:>9.0f} "
            f"{cost['dense'][k] / cost['aware'][k]:>5.2f}x  {live}",
            flush=True,
        )
    every = np.arange(cfg.rounds)
    measured = sorted(args.rounds)
    total = {
        e: float(np.interp(every, measured, [cost[e][k] for k in measured]).sum()) for e in cost
    }
    print(
        f"projected 21-round blog run: dense {total['dense'] / 3600:.1f} h, structure-aware "
        f"{total['aware'] / 3600:.1f} h ({total['aware'] / total['dense']:.0%} of dense)"
    )


if __name__ == "__main__":
    main()
