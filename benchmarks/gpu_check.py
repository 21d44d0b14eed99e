"""The GPU checks in one command: on a CUDA machine, the ``gpu``-marked tests, then the ``blog``
preset (21 rounds, 3 tickets) timed end to end with float32 matmuls and with TF32, printing the
wall time, ms per step and the PSNR table of each, and whether TF32 stays within 0.3 dB of
float32 at every round (lthsiren leaves TF32 off: it would become the default only if it did).
On a machine without CUDA it says so and exits 0 without running anything.

    python benchmarks/gpu_check.py            # add --preset laptop for a quicker look
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import lthsiren as L
from lthsiren.report import format_table

TF32_TOLERANCE_DB = 0.3


def timed_run(cfg, tf32: bool, root: Path):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    run = L.run_experiment(cfg, root=root, progress=False)
    torch.cuda.synchronize()
    return time.perf_counter() - t0, run.records()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="blog")
    ap.add_argument("--skip-tests", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: this PyTorch sees no CUDA GPU; nothing to check here (exit 0).")
        return 0
    props = torch.cuda.get_device_properties(0)
    print(f"GPU: {props.name}, {props.total_memory / 2**30:.0f} GiB; torch {torch.__version__}")
    rc = 0
    if not args.skip_tests:
        tests = Path(__file__).resolve().parents[1] / "tests"
        rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-m", "gpu", str(tests)])
        print(f"gpu-marked tests: exit {rc}")
    cfg = L.make_config(args.preset, device="cuda")
    steps = cfg.rounds * cfg.steps
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tf32 in (False, True):
            wall, recs = timed_run(cfg, tf32, Path(tmp) / f"tf32-{tf32}")
            records[tf32] = recs
            name = "TF32" if tf32 else "float32"
            print(
                f"\n{name}: {wall:.1f} s for {cfg.rounds} rounds x {cfg.steps} steps x "
                f"{len(cfg.tickets())} tickets ({1e3 * wall / steps:.2f} ms/step)"
            )
            print(format_table(recs))
    torch.backends.cuda.matmul.allow_tf32 = False
    pairs = zip(records[False], records[True], strict=True)
    worst = max(abs(a["psnr"] - b["psnr"]) for a, b in pairs)
    verdict = "within" if worst <= TF32_TOLERANCE_DB else "NOT within"
    print(
        f"\nTF32 vs float32: largest PSNR difference {worst:.3f} dB, {verdict} "
        f"{TF32_TOLERANCE_DB} dB at every round and ticket"
    )
    return rc


if __name__ == "__main__":
    sys.exit(main())
