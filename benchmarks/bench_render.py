"""Time drawing a winning ticket four ways, on the CPU, at two resolutions.

- ``dense``: the masked network as dense matrices (pruned zeros multiplied like any weight),
  what a plain ``nn.Linear`` stack does: the baseline;
- ``sparse CSR``: every layer a ``torch.sparse_csr_tensor``, one sparse-times-dense product
  per layer (:class:`lthsiren.chapters.compact.SparseSiren`);
- ``compact``: dead neurons removed and constant neurons folded into the next bias, leaving a
  smaller dense network (:func:`lthsiren.chapters.compact.compact`);
- ``compact+CSR``: the compacted network with its layers stored sparse.

All four run the pixels in the same tiles (65,536 pixels) and are first checked to draw the same
image as the masked dense network (to float32 rounding). Each time is the median of
``--repeats`` renders after one warm-up; speed-ups are against ``dense`` at the same round and
size. The run must be stored already (``lthsiren run --preset laptop`` makes it; otherwise
this script trains it first, about two minutes on 2 cores).

    OMP_NUM_THREADS=2 python benchmarks/bench_render.py --preset laptop --threads 2
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import lthsiren as L
from lthsiren.chapters import compact as K
from lthsiren.network.model import TILE


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="laptop")
    ap.add_argument("--root", default=None, help="runs folder (default: $LTHSIREN_RUNS or ./runs)")
    ap.add_argument(
        "--rounds", type=int, nargs="+", help="rounds to time (default: 10, 15 and the last)"
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    cfg = L.make_config(args.preset)
    run = L.run_experiment(cfg, root=args.root, progress=False)
    last = run.completed_rounds() - 1
    rounds = args.rounds or sorted({min(10, last), min(15, last), last})
    ticket = L.ticket_index(cfg, "winner")
    print(
        f"cpu: {cpu_name()}; torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"preset {cfg.preset} (width {cfg.width}), winning ticket of {run.path}"
    )
    print(f"median of {args.repeats} renders after a warm-up; tiles of {TILE:,} pixels\n")
    header = f"{'round':>5} {'remain':>7} {'size':>5} {'method':<12} {'ms':>9} {'speed-up':>8}"
    print(header + "  network")
    for k in rounds:
        params, mask = run.ticket(k, ticket)
        remaining = L.remaining_fraction(mask)
        small = K.compact_network(params, mask, cfg.omega_0)
        nets = {
            "dense": K.masked_dense(params, mask, cfg.omega_0),
            "sparse CSR": K.SparseSiren(params, mask, cfg.omega_0),
            "compact": small,
            "compact+CSR": K.SparseSiren.from_compact(small),
        }
        notes = {
            "dense": f"widths {nets['dense'].widths}, {K.flops_per_pixel(nets['dense']):,} MAC/px",
            "sparse CSR": f"{nets['sparse CSR'].nnz:,} stored weights",
            "compact": f"widths {small.widths}, {K.flops_per_pixel(small):,} MAC/px",
            "compact+CSR": f"{nets['compact+CSR'].nnz:,} stored weights",
        }
        check = L.coordinate_grid(min(args.sizes))
        ref = nets["dense"].forward(check)
        for name, net in nets.items():
            err = float((net.forward(check) - ref).abs().max())
            if err > 1e-3:
                raise SystemExit(f"round {k}: {name} differs from dense by {err:.2e}")
        for side in args.sizes:
            coords = L.coordinate_grid(side)
            base = None
            for name, net in nets.items():
                ms = median_ms(lambda net=net, x=coords: net.forward(x), args.repeats)
                base = base or ms
                print(
                    f"{k:>5} {100 * remaining:>6.2f}% {side:>5} {name:<12} {ms:>9.1f} "
                    f"{base / ms:>7.2f}x  {notes[name] if side == args.sizes[0] else ''}"
                )
        print()


if __name__ == "__main__":
    main()
