"""Turning a run's records into what people read: the write-up-style table and a summary figure
(PSNR against remaining weights on a log axis, and reconstructions at chosen rounds).
The IMP chapter and the anti-IMP chapter show both."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from .network.ticket import ALL_STRATEGIES, TICKET_NAMES

TICKET_ORDER = [TICKET_NAMES[s] for s in ALL_STRATEGIES]
COLORS = {
    "winner": "tab:green",
    "random": "tab:blue",
    "loser": "tab:red",
    "reinit": "tab:purple",
    "budget": "tab:orange",
    "winner-layer": "tab:olive",
    "loser-layer": "tab:brown",
    "loser-not-first": "tab:pink",
}
SHOW_ROUNDS = (0, 1, 2, 5, 10, 17, 20)


def curves(records: list[dict], key: str = "psnr") -> dict[str, dict[int, list[float]]]:
    """``{ticket: {round: [value per seed]}}``."""
    out: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        out[r["ticket"]][r["round"]].append(r[key])
    return out


def remaining_by_round(records: list[dict]) -> dict[int, float]:
    """Remaining fraction of each round (all tickets prune the same count)."""
    return {r["round"]: r["remaining"] for r in records}


def summary_rows(records: list[dict], key: str = "psnr") -> list[dict]:
    """One row per round: remaining %, mean value per ticket (and spread), winner - loser gap."""
    by = curves(records, key)
    rem = remaining_by_round(records)
    rows = []
    for k in sorted(rem):
        row = {"round": k, "remaining_pct": 100.0 * rem[k]}
        for t in TICKET_ORDER:
            vals = by.get(t, {}).get(k)
            if vals:
                row[t] = statistics.fmean(vals)
                row[t + "_sd"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
        if "winner" in row and "loser" in row and k > 0:
            row["gap"] = row["winner"] - row["loser"]
        rows.append(row)
    return rows


def format_table(records: list[dict], rounds=None, key: str = "psnr") -> str:
    """The write-up-style table as text (PSNR in dB; mean over seeds, with +-sd when several)."""
    rows = summary_rows(records, key)
    if rounds is not None:
        rows = [r for r in rows if r["round"] in set(rounds)]
    present = [t for t in TICKET_ORDER if any(t in r for r in rows)]
    n_seeds = len({r["seed"] for r in records}) if records else 1
    width = 13 if n_seeds > 1 else 7
    head = f"{'remaining %':>11} {'round':>5} " + " ".join(f"{t:>{width}}" for t in present)
    show_gap = "winner" in present and "loser" in present
    if show_gap:
        head += f" {'winner-loser':>12}"
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = []
        for t in present:
            if t not in r:
                cells.append(f"{'':>{width}}")
            elif n_seeds > 1:
                cells.append(f"{r[t]:>7.2f}±{r[t + '_sd']:<5.2f}")
            else:
                cells.append(f"{r[t]:>7.2f}")
        line = f"{r['remaining_pct']:>11.1f} {r['round']:>5} " + " ".join(cells)
        if show_gap:
            line += f" {r['gap']:>+12.1f}" if "gap" in r else f" {'-':>12}"
        lines.append(line)
    return "\n".join(lines)


def _plot_mean_band(ax, x, vals: list[list[float]], style: str, color, label: str) -> None:
    """One curve, the mean over seeds, with a min-max band where there are several seeds."""
    ax.plot(x, [np.mean(v) for v in vals], style, ms=3, color=color, label=label)
    if max(len(v) for v in vals) > 1:
        ax.fill_between(
            x, [min(v) for v in vals], [max(v) for v in vals], color=color, alpha=0.2, lw=0
        )


def remaining_axis(ax, key: str = "psnr") -> None:
    """Log x axis of weights remaining, densest on the left, ticks as plain numbers (100, 10, 1,
    never 10^2); y labelled by ``key``. Every sparsity plot of the series uses it, so they read
    alike."""
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    if not ax.xaxis_inverted():
        ax.invert_xaxis()
    ax.set_xlabel("weights remaining (%)")
    ax.set_ylabel("PSNR (dB)" if key == "psnr" else key)
    ax.grid(True, which="both", alpha=0.3)


def plot_psnr(records: list[dict], ax=None, key: str = "psnr", marker_round: int | None = None):
    """PSNR (or ``key``) against remaining weights, log x axis, one line per ticket with a
    min-max band over seeds."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    by = curves(records, key)
    rem = remaining_by_round(records)
    for t in TICKET_ORDER:
        if t not in by:
            continue
        ks = sorted(by[t])
        x = np.array([100.0 * rem[k] for k in ks])
        _plot_mean_band(ax, x, [by[t][k] for k in ks], "o-", COLORS[t], t)
        if marker_round is not None and marker_round in by[t]:
            ax.plot(
                [100.0 * rem[marker_round]],
                [np.mean(by[t][marker_round])],
                "o",
                ms=10,
                mfc="none",
                mec="black",
            )
    remaining_axis(ax, key)
    ax.legend()
    return ax


def summary_figure(run, rounds=SHOW_ROUNDS, seed: int | None = None):
    """PSNR curve plus a grid of reconstructions (tickets x rounds) from a run folder."""
    import matplotlib.pyplot as plt
    from PIL import Image

    records = run.records()
    done = sorted({r["round"] for r in records})
    rounds = [k for k in rounds if k in done] or done[-1:]
    tickets = [t for t in TICKET_ORDER if any(r["ticket"] == t for r in records)]
    seed = min(r["seed"] for r in records) if seed is None else seed
    rem = remaining_by_round(records)
    fig = plt.figure(figsize=(2.0 * len(rounds) + 5, 2.1 * len(tickets) + 0.4))
    grid = fig.add_gridspec(len(tickets), len(rounds) + 3)
    plot_psnr(records, fig.add_subplot(grid[:, :3]))
    for i, t in enumerate(tickets):
        for j, k in enumerate(rounds):
            ax = fig.add_subplot(grid[i, j + 3])
            ax.imshow(Image.open(run.image_path(k, t, seed)))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{100 * rem[k]:.1f}%", fontsize=9)
            if j == 0:
                ax.set_ylabel(t, color=COLORS[t])
    fig.tight_layout()
    return fig


def save_summary(run, path: str | Path | None = None) -> Path:
    """Write the summary figure as PNG (default ``<run>/summary.png``) and return its path."""
    import matplotlib.pyplot as plt

    from .store import atomic_write

    path = Path(path) if path is not None else run.path / "summary.png"
    fig = summary_figure(run)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return path


def series_by_round(records: list[dict], key: str = "psnr") -> dict[int, list[float]]:
    """``{round: [value per seed]}`` of records that all belong to one ticket."""
    out: dict[int, list[float]] = defaultdict(list)
    for r in records:
        out[r["round"]].append(r[key])
    return dict(out)


def plot_series(series: dict, ax=None, key: str = "psnr", colors: dict | None = None, styles=None):
    """Several curves against remaining weights (log x axis), each the mean over seeds with a
    min-max band: ``series`` maps a label to the records of one ticket (one per seed and round).
    Used where the curves come from different runs (the open-questions chapter and the
    ReLU-and-transfer chapter)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for i, (label, recs) in enumerate(series.items()):
        by = series_by_round(recs, key)
        rem = remaining_by_round(recs)
        ks = sorted(by)
        x = np.array([100.0 * rem[k] for k in ks])
        color = (colors or {}).get(label, f"C{i}")
        _plot_mean_band(ax, x, [by[k] for k in ks], (styles or {}).get(label, "o-"), color, label)
    remaining_axis(ax, key)
    ax.legend(fontsize=8)
    return ax


def series_table(series: dict, rounds, key: str = "psnr") -> str:
    """Mean ± standard deviation over seeds of each series at ``rounds``, as text (a series with
    one seed shows its value alone).

    Series from different runs need not have the same weights left at a round (a per-layer rule
    rounds each layer's count on its own; a control may prune another fraction). Where every
    series shows the same remaining % at every round listed, one "remaining %" column gives it;
    otherwise each cell carries its own series' remaining % after the PSNR."""
    labels = list(series)
    rem = {s: remaining_by_round(recs) for s, recs in series.items()}
    shown = {k: {f"{100.0 * rem[s][k]:.1f}" for s in labels if k in rem[s]} for k in rounds}
    shared = all(len(v) <= 1 for v in shown.values())
    width = max(13 if shared else 22, *(len(s) for s in labels))
    first = f"{'remaining %':>11} " if shared else ""
    head = first + f"{'round':>5} " + " ".join(f"{s:>{width}}" for s in labels)
    lines = [head, "-" * len(head)]
    for k in rounds:
        cells = []
        for s in labels:
            vals = series_by_round(series[s], key).get(k)
            if not vals:
                cells.append(f"{'':>{width}}")
                continue
            cell = f"{statistics.fmean(vals):.2f}"
            if len(vals) > 1:  # one seed has no spread: no "±0.00"
                cell += f"±{statistics.stdev(vals):.2f}"
            if not shared:
                cell += f" ({100.0 * rem[s][k]:.1f}%)"
            cells.append(f"{cell:>{width}}")
        start = f"{next(iter(shown[k]), '-'):>11} " if shared else ""
        lines.append(start + f"{k:>5} " + " ".join(cells))
    if not shared:
        lines.append("(remaining % of each series in brackets: the series differ in it)")
    return "\n".join(lines)


def mean_by_round(records: list[dict], key: str = "psnr") -> dict[int, float]:
    """``{round: mean over seeds}`` of one ticket's records."""
    return {k: statistics.fmean(v) for k, v in series_by_round(records, key).items()}


def paired_differences(a: list[dict], b: list[dict], key: str = "psnr") -> dict[int, list[float]]:
    """``{round: [a - b for each seed]}``, seeds in ascending order, for the rounds and seeds
    that both series have: a difference taken within a seed, so the seed's own luck cancels."""
    va = {(r["round"], r["seed"]): r[key] for r in a}
    vb = {(r["round"], r["seed"]): r[key] for r in b}
    out: dict[int, list[float]] = defaultdict(list)
    for k, s in sorted(set(va) & set(vb)):
        out[k].append(va[(k, s)] - vb[(k, s)])
    return dict(out)
