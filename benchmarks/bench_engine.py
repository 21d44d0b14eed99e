"""Time the batched ticket engine against the baseline a user would write.

Baseline: one ``Siren`` nn.Module per ticket with ``torch.nn.utils.prune.custom_from_mask``
hooks, autograd, ``torch.optim.Adam`` and ``CosineAnnealingLR``, tickets trained one after the
other (``benchmarks/stock.py``). Ours: ``lthsiren.TicketTrainer``, all tickets in one set of
tensors. Both train the same tickets (the three strategies' round-1 masks) on the same image at
the same preset, in one process, with the same thread count. Also prints our achieved GFLOP/s,
counting 6 x weights x pixels x tickets per step, against this machine's float32 matmul rate
measured in the same run (torch.mm of 2048 x 2048, median of repeats).

    python benchmarks/bench_engine.py --preset laptop --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import lthsiren as L
from lthsiren.config import resolve_device
from lthsiren.interop import to_pruned_module
from lthsiren.network.ticket import mask_of, unstack
from lthsiren.training.imp import initial_params, next_masks


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_gflops(device, n=2048, repeats=7) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.mm(a, b)
    rates = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(3):
            torch.mm(a, b)
        sync(device)
        rates.append(3 * 2 * n**3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def time_engine(cfg, coords, target, params, masks, steps, device) -> float:
    trainer = L.TicketTrainer(coords, target, cfg.omega_0)
    trainer.fit(params, masks, 3, cfg.lr)  # warm-up: allocation, first-touch
    sync(device)
    t0 = time.perf_counter()
    trainer.fit(params, masks, steps, cfg.lr)
    sync(device)
    return (time.perf_counter() - t0) / steps


def time_baseline(cfg, coords, target, params, masks, steps, device) -> float:
    nets, opts, scheds = [], [], []
    for t in range(len(cfg.tickets())):
        p = [(w.cpu(), b.cpu()) for w, b in unstack(params, t)]
        net = to_pruned_module(p, [m.cpu() for m in mask_of(masks, t)], cfg.omega_0).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        nets.append(net)
        opts.append(opt)
        scheds.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps + 3))

    def step():
        for net, opt, sched in zip(nets, opts, scheds):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(net(coords), target).backward()
            opt.step()
            sched.step()

    for _ in range(3):
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - t0) / steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="laptop")
    ap.add_argument("--steps", type=int, default=60, help="timed steps per method")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=3, help="alternate the two methods this often")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = L.make_config(args.preset, device=args.device)
    device = resolve_device(cfg.device)
    target = L.load_image(cfg.image, cfg.side).flat().to(device)
    coords = L.coordinate_grid(cfg.side).to(device)
    # Round-1 tickets: each strategy's mask after one prune of a quickly trained dense net.
    theta0 = initial_params(cfg)
    masks0 = [torch.ones_like(w, dtype=torch.bool) for w, _ in theta0]
    trained, _ = L.TicketTrainer(L.coordinate_grid(cfg.side), target.cpu(), cfg.omega_0).fit(
        theta0, masks0, 20, cfg.lr
    )
    masks = [m.to(device) for m in next_masks(cfg, trained, masks0, 0)]
    params = [(w.to(device), b.to(device)) for w, b in L.rewind(theta0, masks0)]

    n_weights = sum(m[0].numel() for m in masks)
    flop_per_step = 6 * n_weights * cfg.side**2 * len(cfg.tickets())
    print(
        f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"preset {cfg.preset} ({cfg.side}x{cfg.side}, width {cfg.width}, "
        f"{len(cfg.tickets())} tickets)"
    )
    ours, base, mm = [], [], []
    for _ in range(args.repeats):
        mm.append(matmul_gflops(device))
        ours.append(time_engine(cfg, coords, target, params, masks, args.steps, device))
        base.append(time_baseline(cfg, coords, target, params, masks, args.steps, device))
    ours_s, base_s, mm_rate = min(ours), min(base), statistics.median(mm)
    achieved = flop_per_step / ours_s / 1e9
    print(f"baseline (nn.Module + prune hooks, sequential): {1e3 * base_s:8.2f} ms/step")
    print(f"lthsiren TicketTrainer (batched, fused):        {1e3 * ours_s:8.2f} ms/step")
    print(f"speed-up: {base_s / ours_s:.2f}x")
    print(
        f"achieved {achieved:.0f} GFLOP/s of a measured torch.mm 2048^2 rate of {mm_rate:.0f} "
        f"GFLOP/s ({100 * achieved / mm_rate:.0f}%)"
    )
    print(
        f"per-round estimate ({cfg.steps} steps): ours {ours_s * cfg.steps:.1f} s, "
        f"baseline {base_s * cfg.steps:.1f} s"
    )


if __name__ == "__main__":
    main()
