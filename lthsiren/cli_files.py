"""The two file subcommands of :mod:`lthsiren.cli`: ``lthsiren export`` writes one ticket of a run
to a self-describing network file (:mod:`lthsiren.codecs`, the compression chapter) and ``lthsiren
render``
draws such a file at any resolution. Mistakes end as an :class:`LthsirenError`, which the CLI
prints as one line with exit status 2."""

from __future__ import annotations

from .errors import LthsirenError, no_complete_round

MAX_RENDER_SIDE = 4096  # as --side: 4096^2 pixels take ~0.5 GB to draw


def _list_codecs() -> None:
    from . import codecs as C

    print(f"{'codec':<14} {'kind':<8} layout")
    for name, codec in C.CODECS.items():
        kind = "lossless" if codec.lossless else "lossy"
        print(f"{name:<14} {kind:<8} {codec.summary}")
    for name, what in C.BEST.items():
        print(f"{name:<14} {'':<8} {what}")


def export(args) -> None:
    """``lthsiren export``: one ticket of a run folder to a self-describing network file."""
    from pathlib import Path

    from . import codecs as C
    from .data import load_image
    from .metrics import psnr
    from .network.architectures import architecture
    from .network.ticket import ticket_index
    from .store import RunDir

    if args.list_codecs:
        _list_codecs()
        return
    if args.run_dir is None:
        raise LthsirenError(
            "export needs a run folder (or --list-codecs); see 'lthsiren export -h'"
        )
    if args.output is None:
        raise LthsirenError("export needs -o FILE, the network file to write (e.g. winner.lths)")
    if args.codec not in C.CODECS and args.codec not in C.BEST:
        C.get_codec(args.codec)  # the error that lists the codecs
    run = RunDir(args.run_dir)
    cfg = run.config()  # a clear error if this is not a run folder
    if not architecture(cfg.model).siren_layout:
        raise LthsirenError(
            f"{run.path} holds {cfg.model} networks; export writes SIRENs only, pick a siren run"
        )
    done = run.completed_rounds()
    if done == 0:
        raise no_complete_round(run.path)
    k = done - 1 if args.round is None else args.round
    if not 0 <= k < done:
        raise LthsirenError(
            f"--round {k} is not a complete round of {run.path}: use 0 to {done - 1}"
        )
    index = ticket_index(cfg, args.ticket, args.seed)
    params, mask = run.ticket(k, index)
    out = Path(args.output)
    if out.is_dir():
        raise LthsirenError(f"-o {out} is a directory; name the file to write")
    n = C.save(out, params, mask, cfg.omega_0, args.codec)
    back = C.load(out)
    strategy, seed = cfg.tickets()[index]
    print(
        f"wrote {out}: {n:,} B ({back.codec}, {'lossless' if back.lossless else 'lossy'}), "
        f"round {k}, {args.ticket} seed {seed}, {back.survivors:,} weights stored, "
        f"{8 * n / cfg.side**2:.2f} bits per pixel at {cfg.side}x{cfg.side}"
    )
    try:
        target = load_image(cfg.image, cfg.side).pixels
    except LthsirenError as err:
        print(f"note: PSNR not computed ({err})")
        return
    score = psnr(C.render(back.params, cfg.side, back.omega_0), target)
    print(f"PSNR of the decoded network at {cfg.side}x{cfg.side}: {score:.2f} dB")


def render(args) -> None:
    """``lthsiren render``: a network file drawn as a PNG at any size."""
    from pathlib import Path

    from . import codecs as C
    from .store import write_png

    if not 1 <= args.size <= MAX_RENDER_SIDE:
        raise LthsirenError(f"--size must be 1 to {MAX_RENDER_SIDE} pixels, got {args.size}")
    net = C.load(args.file, siren=True)  # a drawable SIREN's shapes, checked before decoding
    img = C.render(net.params, args.size, net.omega_0)
    channels = img.shape[-1]
    if channels not in (1, 3):
        raise LthsirenError(f"{args.file} outputs {channels} channels; a PNG needs 1 or 3")
    out = Path(args.output)
    if out.is_dir():
        raise LthsirenError(f"-o {out} is a directory; name the PNG to write")
    write_png(out, img.expand(-1, -1, 3) if channels == 1 else img)
    print(f"wrote {out}: {args.size}x{args.size} drawn from {args.file} ({net.codec})")
