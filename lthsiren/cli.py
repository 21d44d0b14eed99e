"""The command line: ``lthsiren run`` reproduces the experiment, ``lthsiren show`` reprints a
finished run, ``lthsiren export`` writes one ticket to a small file, ``lthsiren render`` draws
such a file at any size and ``lthsiren site`` builds the notebook series as a web site. Mistakes
in the input end with one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys

from .errors import LthsirenError, no_complete_round, stopped
from .settings import FINITE, WHOLE, Config, about

EXAMPLES = """examples:
  lthsiren run                              # default preset on the bundled portrait
  lthsiren run --preset tiny                # a 30-second run on a CPU
  lthsiren run --image mona_lisa.jpg --seeds 0 1 2
  lthsiren show runs/laptop-1a2b3c4d
  lthsiren export runs/laptop-1a2b3c4d --round 20 --codec best -o winner.lths
  lthsiren render winner.lths --size 1024 -o winner.png
  lthsiren site _site                       # the notebook series as a web site
"""


ARG_TYPES = {WHOLE: int, FINITE: float}  # the argparse type a field's number rule asks for


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_settings(parser: argparse.ArgumentParser, config_class: type[Config] = Config) -> None:
    """One option per field of ``config_class``, as its :class:`~lthsiren.settings.Setting`
    says; left out, an option is None (the preset's value)."""
    for f in dataclasses.fields(config_class):
        s = about(f)
        types = [ARG_TYPES[rule] for rule in s.rules if rule in ARG_TYPES]
        details = {**({"type": types[0]} if types else {}), **s.cli}
        parser.add_argument(s.flag, dest=f.name, default=None, help=s.help, **details)


def settings_given(args: argparse.Namespace, config_class: type[Config] = Config) -> dict:
    """The settings among parsed ``args``, by field name (None: not given)."""
    names = {f.name for f in dataclasses.fields(config_class)}
    return {k: v for k, v in vars(args).items() if k in names}


def _parser(config_class: type[Config] = Config) -> argparse.ArgumentParser:
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
        description="Options left out take the preset's value (see README, Presets).",
    )
    add_settings(r, config_class)
    r.add_argument("--out", help="results root (default: $LTHSIREN_RUNS or ./runs)")
    r.add_argument("--force", action="store_true", help="discard a stored run and start over")
    r.add_argument("--quiet", action="store_true", help="no progress bars")

    s = sub.add_parser("show", help="reprint the table and figure of a run folder")
    s.add_argument("run_dir")
    s.add_argument("--html", metavar="FILE", help="write one self-contained web page instead")
    s.add_argument("--seed", type=int, help="with --html: the seed shown (default: 0)")
    s.add_argument("--series", metavar="HREF", help="with --html: link the page to the series")

    w = sub.add_parser(
        "site",
        help="build the notebook series as a static web site (offline, no training)",
        description="Every notebook with its stored outputs as a page, an index, the glossary "
        "and reference pages, and the live explorer pages committed in docs/explorers/.",
    )
    w.add_argument("out", help="the folder to write the site into (made if missing)")
    w.add_argument("--repo", default=".", help="the repository's root (default: .)")
    w.add_argument("--source", metavar="URL", help="where links to other repository files go")

    e = sub.add_parser(
        "export",
        help="write one ticket of a run to a self-describing network file",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    e.add_argument("run_dir", nargs="?", help="a run folder made by 'lthsiren run'")
    e.add_argument("--round", type=int, help="pruning round (default: the last complete one)")
    e.add_argument("--ticket", default="winner", help="a ticket name: winner, random, loser, ...")
    e.add_argument("--seed", type=int, help="init seed of the ticket (default: the run's first)")
    e.add_argument("--codec", default="best", help="a codec of --list-codecs, best or best-lossy")
    e.add_argument("-o", "--output", help="the file to write (e.g. winner.lths)")
    e.add_argument("--list-codecs", action="store_true", help="describe the codecs and exit")

    d = sub.add_parser(
        "render",
        help="draw a network file as a PNG at any resolution",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    d.add_argument("file", help="a file written by 'lthsiren export'")
    d.add_argument("--size", type=int, default=256, help="image side in pixels")
    d.add_argument("-o", "--output", required=True, help="the PNG to write")
    return p


def _finish(run) -> None:
    from .report import format_table, save_summary

    records = run.records()
    if not records:
        raise no_complete_round(run.path)
    print(format_table(records))
    print(f"\nPSNR in dB on the [0, 1] scale; results in {run.path}")
    print(f"figure: {save_summary(run)}")


_TERMINATED: list[int] = []


def _terminate(signum, frame):
    """SIGTERM: raised as a KeyboardInterrupt where the program is, so it ends like Ctrl-C."""
    _TERMINATED.append(signum)
    raise KeyboardInterrupt


def main(argv=None) -> int:
    _TERMINATED.clear()
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        return _main(argv)
    except KeyboardInterrupt as e:  # Ctrl-C or SIGTERM, even during start-up
        how = "terminated" if _TERMINATED else "interrupted"
        print(f"lthsiren: {stopped(e, how)}", file=sys.stderr)
        return 143 if _TERMINATED else 130
    except BrokenPipeError:  # `lthsiren show RUN | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from .config import config_notes, describe, make_config, validate
            from .experiment import run_experiment
            from .training.budget import work_line

            given = settings_given(args)
            cfg = make_config(**given)  # checked here, once: run_experiment remembers it
            for note in config_notes(given):
                print(f"note: {note}", file=sys.stderr)
            print(describe(cfg), flush=True)
            print(work_line(cfg, validate(cfg)), flush=True)
            run = run_experiment(
                cfg,
                root=args.out,
                force=args.force,
                progress=not args.quiet,
                notify=lambda note: print(f"note: {note}", flush=True),
            )
            _finish(run)
        elif args.command == "export":
            from .cli_files import export

            export(args)
        elif args.command == "render":
            from .cli_files import render

            render(args)
        elif args.command == "site":
            from .site import build_site

            print(build_site(args.out, repo=args.repo, source=args.source))
        else:
            from .store import RunDir

            run = RunDir(args.run_dir)
            run.config()  # a clear error if this is not a run folder, or a damaged one
            if args.html is not None:
                from .webpage import write_page

                print(write_page(run, args.html, args.seed, args.series))
            elif args.seed is not None:
                raise LthsirenError("--seed picks the seed of the --html page; add --html FILE")
            elif args.series is not None:
                raise LthsirenError("--series links the --html page; add --html FILE")
            else:
                _finish(run)
    except LthsirenError as e:
        print(f"lthsiren: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
