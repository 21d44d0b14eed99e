"""Would sparse kernels pay for the engine? One hidden layer's three products per step, dense
against ``torch.sparse`` CSR, at the density a ticket reaches, before building them into the
engine.

Per step and hidden layer the engine computes ``h @ W^T`` (forward), ``dz @ W`` (the gradient
into the layer's input) and ``dz^T @ h`` (the weight gradient, of which only the alive entries
are kept). The sparse way: the forward and input-gradient products as CSR-times-dense products
with ``W`` and ``W^T`` in CSR (their values re-gathered from the dense weights every step, since
Adam changes them), and the weight gradient as ``torch.sparse.sampled_addmm`` at the mask's
entries only. Medians of repeated timings, both ways in one process.

    python benchmarks/bench_sparse.py --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def time_layer(n: int, width: int, density: float, gen, repeats: int) -> tuple[float, float]:
    """(dense ms, sparse ms) of one step's three products for one hidden layer."""
    h = torch.randn(n, width, generator=gen)
    dz = torch.randn(n, width, generator=gen)
    mask = torch.rand(width, width, generator=gen) < density
    w = torch.randn(width, width, generator=gen) * mask
    size = (width, width)
    pattern, pattern_t = mask.float().to_sparse_csr(), mask.T.float().to_sparse_csr()
    keep, keep_t = mask.reshape(-1).nonzero().squeeze(1), mask.T.reshape(-1).nonzero().squeeze(1)

    def dense():
        h @ w.T
        dz @ w
        dz.T @ h

    def sparse():
        crow, col = pattern.crow_indices(), pattern.col_indices()
        w_csr = torch.sparse_csr_tensor(crow, col, w.reshape(-1)[keep], size)
        crow_t, col_t = pattern_t.crow_indices(), pattern_t.col_indices()
        wt_csr = torch.sparse_csr_tensor(crow_t, col_t, w.T.reshape(-1)[keep_t], size)
        torch.sparse.mm(w_csr, h.T)
        torch.sparse.mm(wt_csr, dz.T)
        torch.sparse.sampled_addmm(pattern, dz.T, h, beta=0.0)

    return median_ms(dense, repeats), median_ms(sparse, repeats)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
    gen = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per step and layer")
    print(f"{'pixels x width':>15} {'density':>8} {'dense':>8} {'sparse':>8} {'sparse/dense':>12}")
    for n, width in ((4096, 128), (2048, 256)):  # laptop's image; one blog tile
        for density in (0.5, 0.2, 0.1, 0.05, 0.02, 0.01):
            d, s = time_layer(n, width, density, gen, args.repeats)
            print(f"{n:>8} x {width:<4} {density:>8.2f} {d:>8.2f} {s:>8.2f} {s / d:>11.2f}x")


if __name__ == "__main__":
    main()
