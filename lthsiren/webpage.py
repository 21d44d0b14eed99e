"""A run folder as one self-contained web page: ``lthsiren show RUN_DIR --html page.html``.

The page is the notebooks' sparsity explorer for readers without Jupyter: a slider over the
pruning rounds (and a Play button), the target and every ticket's reconstruction side by side,
the selected round's numbers (weights remaining, each ticket's PSNR and HFE), the PSNR curve
with the round marked, and one bar per layer and ticket for the weights still alive. It explains
itself: a title in words (image, preset, seed), a legend of each ticket it shows and of PSNR and
HFE, and optionally a link back to the notebook series. Rounds and layers are numbered as the
notebooks' widget numbers them: both read the run through one view
(:class:`lthsiren.store.runview.RunView`).

It needs nothing but itself, so it can be mailed, put in a repository or opened offline: the
stored PNG reconstructions are embedded byte for byte as data URIs (identical pictures once,
nothing rescaled), the curve is inline SVG, and a few lines of plain JavaScript swap pictures
and numbers (:mod:`lthsiren.webpage_html` draws it). No library, no server, no address outside
the file. Only complete rounds are shown (an interrupted run shows the rounds it finished), the
alive counts come from the masks each round was trained under, and the file is written
atomically. A run folder that cannot be shown, or an output path that cannot be written, is one
:class:`LthsirenError`.
"""

from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path

from .errors import LthsirenError
from .store import RunDir
from .store.atomic import writable_target, write_text
from .store.runview import RunView
from .webpage_html import render_page

__all__ = ["TICKET_MEANINGS", "page_data", "render_page", "write_page"]

# What each ticket is, in the glossary's words (docs/glossary.md, Tickets and strategies).
TICKET_MEANINGS = {
    "winner": "each round prunes the smallest-magnitude weights, all layers ranked together, "
    "and rewinds the rest (IMP, the winning ticket)",
    "random": "each round prunes a random 20% of the weights still alive (the control)",
    "loser": "each round prunes the largest-magnitude weights instead (anti-IMP, the losing "
    "ticket)",
    "reinit": "the winner's mask with its weights drawn afresh from the initialisation every "
    "round (is it the initialisation?)",
    "budget": "a random mask with exactly the winner's count of weights in every layer, drawn "
    "afresh every round (is it the mask or the layer budget?)",
    "winner-layer": "the smallest-magnitude weights of each layer, 20% of that layer's alive "
    "weights per round",
    "loser-layer": "the largest-magnitude weights of each layer, 20% of that layer's alive "
    "weights per round",
    "loser-not-first": "the largest-magnitude weights of layers 2 to 5 ranked together; "
    "layer 1 keeps all its weights",
}
METRICS = [
    (
        "PSNR",
        "peak signal-to-noise ratio in dB on the [0, 1] scale: higher is closer to the "
        "target, and 6 dB more halves the typical pixel error",
    ),
    (
        "HFE",
        "high-frequency energy retained, in %: the reconstruction's spectral power at "
        "periods shorter than 8 pixels against the target's (100% = all the fine detail, 0% = "
        "none)",
    ),
]
LAYERS = (
    "layer 1 is fed by the two pixel coordinates, layer {last} gives the colour; each bar is the "
    "share of that layer's weights still alive"
)


def _png(path: Path) -> bytes:
    """The stored picture's bytes, checked to be a PNG that decodes."""
    from PIL import Image

    try:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.format == "PNG":
                return data
    except Exception:  # missing, unreadable or damaged (PIL raises many types)
        pass
    raise LthsirenError(
        f"{path} is missing or not a readable PNG, so the run cannot be shown; rerun 'lthsiren "
        "run' with the same settings and --force to redraw it"
    )


def _words(view: RunView, seed: int) -> dict:
    """The page's title, subtitle and run line in words."""
    cfg = view.cfg
    source = str(cfg.image).rstrip("/").rsplit("/", 1)[-1]  # a name, never an address
    seeds = f" of seeds {', '.join(map(str, view.seeds))}" if len(view.seeds) > 1 else ""
    about = (
        f"{cfg.preset} preset: {source} at {cfg.side}x{cfg.side}, {cfg.model} of width "
        f"{cfg.width}, {cfg.steps} steps per round, {cfg.prune_fraction:.0%} pruned per round, "
        f"rewind {cfg.rewind}; seed {seed}{seeds}"
    )
    if view.interrupted:
        about += f"; interrupted: {len(view.rounds)} of {cfg.rounds} rounds complete"
    return {
        "title": f"Sparsity explorer: {source}, {cfg.preset} preset, seed {seed}",
        "subtitle": (
            f"Lottery tickets in a SIREN fitted to {source}: the {', '.join(view.tickets)} "
            f"ticket{'s' if len(view.tickets) > 1 else ''} of seed {seed}, pruned round by "
            f"round from all the weights down to {view.pct(view.rounds[-1]):.2g}%. Move the "
            "slider or press Play."
        ),
        "about": about,
    }


def page_data(run: RunDir, seed: int | None = None, series: str | None = None) -> dict:
    """Everything the page shows, per complete round, for the tickets of one seed (default: 0
    where the run has it, else its first); ``series``: where the page links back to the notebook
    series (an address or a relative path; None: no link)."""
    view = RunView(run)
    seed = view.check_seed(seed)
    images: list[str] = []  # unique data URIs; rounds point into it
    where: dict[bytes, int] = {}

    def image(path: Path) -> int:
        data = _png(path)
        if data not in where:
            where[data] = len(images)
            images.append("data:image/png;base64," + base64.b64encode(data).decode("ascii"))
        return where[data]

    target = image(view.target_path())
    rounds = []
    for k in view.rounds:
        entry = {"round": k, "remaining": view.pct(k), "t": {}}
        entry["label"] = f"{view.round_text(k)}: {view.remaining_text(k)}"
        for t in view.tickets:
            r = view.record(k, t, seed)
            entry["t"][t] = dict(
                img=image(view.image_path(k, t, seed)),
                psnr=round(r["psnr"], 4) if math.isfinite(r["psnr"]) else None,  # JSON: no inf
                psnr_text=f"{r['psnr']:.2f}",
                hfe_text=f"{r['hfe']:.1f}",
                alive=view.alive_per_layer(k, t, seed),
            )
        rounds.append(entry)
    return {
        "name": view.run.path.resolve().name,
        **_words(view, seed),
        "series": series,
        "seed": seed,
        "tickets": view.tickets,
        "legend": [[t, TICKET_MEANINGS.get(t, "")] for t in view.tickets]
        + [list(m) for m in METRICS]
        + [["layers", LAYERS.format(last=len(view.layer_shapes()))]],
        "layers": view.layer_shapes(),
        "layer_labels": view.layer_labels(),
        "images": images,
        "target": target,
        "rounds": rounds,
        "start": view.check_round(None),
    }


def write_page(
    run: RunDir | str | os.PathLike, out: str | os.PathLike, seed=None, series: str | None = None
) -> str:
    """Write the page of ``run`` to ``out`` atomically and return one line saying what it holds."""
    run = run if isinstance(run, RunDir) else RunDir(run)
    data = page_data(run, seed, series)
    page = render_page(data)
    write_text(Path(out), page)
    umask = os.umask(0o022)  # a page is for sharing: readable as a new file would be, not 0600
    os.umask(umask)
    os.chmod(writable_target(out), 0o666 & ~umask)
    return (
        f"wrote {out}: {len(page.encode()) / 1024:,.0f} kB, rounds 0 to {len(data['rounds']) - 1}, "
        f"{', '.join(data['tickets'])} of seed {data['seed']}; open it in a browser"
    )
