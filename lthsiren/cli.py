"""The command line: ``lthsiren run`` reproduces the experiment, ``lthsiren show`` reprints a
finished run. Mistakes in the input end with one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys

from .errors import LthsirenError

EXAMPLES = """examples:
  lthsiren run                              # default preset on the bundled portrait
  lthsiren run --preset tiny                # a 30-second run on a CPU
  lthsiren run --image mona_lisa.jpg --seeds 0 1 2
  lthsiren show runs/laptop-1a2b3c4d
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="lthsiren",
        description=__doc__.splitlines()[0],
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser(
        "run",
        help="run (or resume) the lottery-ticket experiment",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    r.add_argument(
        "--preset",
        help="tiny, laptop or blog (default: blog with CUDA, else laptop; or $LTHSIREN_PRESET)",
    )
    r.add_argument(
        "--image", help="image path or http(s) URL (default: matplotlib's grace_hopper.jpg)"
    )
    r.add_argument(
        "--strategies",
        nargs="+",
        metavar="S",
        help="any of smallest (winner), random, largest (loser)",
    )
    r.add_argument("--seeds", nargs="+", type=int, metavar="N", help="init seeds (default: 0)")
    r.add_argument("--rounds", type=int, help="pruning rounds including the dense round 0")
    r.add_argument("--steps", type=int, help="training steps per round")
    r.add_argument("--lr", type=float, help="Adam learning rate")
    r.add_argument("--side", type=int, help="image side in pixels")
    r.add_argument("--width", type=int, help="hidden layer width")
    r.add_argument(
        "--fraction",
        type=float,
        dest="prune_fraction",
        help="share of alive weights pruned per round",
    )
    r.add_argument("--rewind", help="init (step 0, default), step:K (late), or finetune")
    r.add_argument("--device", help="auto, cpu or cuda (default: auto)")
    r.add_argument("--out", help="results root (default: $LTHSIREN_RUNS or ./runs)")
    r.add_argument("--force", action="store_true", help="discard a stored run and start over")
    r.add_argument("--quiet", action="store_true", help="no progress bars")

    s = sub.add_parser("show", help="reprint the table and figure of a run folder")
    s.add_argument("run_dir")
    return p


def _finish(run) -> None:
    from .report import format_table, save_summary

    records = run.records()
    if not records:
        raise LthsirenError(f"{run.path} has no complete round yet; run 'lthsiren run' to train it")
    print(format_table(records))
    print(f"\nPSNR in dB on the [0, 1] scale; results in {run.path}")
    print(f"figure: {save_summary(run)}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from .config import make_config
            from .experiment import run_experiment

            cfg = make_config(
                args.preset,
                image=args.image,
                strategies=args.strategies,
                seeds=args.seeds,
                rounds=args.rounds,
                steps=args.steps,
                lr=args.lr,
                side=args.side,
                width=args.width,
                prune_fraction=args.prune_fraction,
                device=args.device,
                rewind=args.rewind,
            )
            print(
                f"preset {cfg.preset}: {cfg.side}x{cfg.side}, width {cfg.width}, "
                f"{cfg.steps} steps x {cfg.rounds} rounds, tickets "
                f"{', '.join(cfg.strategies)} x seeds {', '.join(map(str, cfg.seeds))}",
                flush=True,
            )
            run = run_experiment(
                cfg,
                root=args.out,
                force=args.force,
                progress=not args.quiet,
                notify=lambda note: print(f"note: {note}", flush=True),
            )
            _finish(run)
        else:
            from .store import RunDir

            run = RunDir(args.run_dir)
            run.info()  # a clear error if this is not a run folder
            _finish(run)
    except LthsirenError as e:
        print(f"lthsiren: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(
            "lthsiren: interrupted; rerun the same command to resume from the last complete round",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
