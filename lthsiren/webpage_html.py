"""The HTML of the explorer page (:mod:`lthsiren.webpage`): inline SVG for the PSNR curve, the
pictures, the numbers, the per-layer bars, the legend, and a few lines of plain JavaScript that
move them all to the round the slider (or Play) picks. The address may name the first round
shown, ``page.html#round=10``, which is how the notebook series' site embeds it at the round a
notebook shows.
"""

from __future__ import annotations

import html
import json
import math

from .report import COLORS

__all__ = ["render_page"]

W, H, LEFT, RIGHT, TOP, BOTTOM = 460, 280, 46, 14, 12, 40  # the curve's box and margins (px)
PLAY_MS = 700  # per round while playing
IMAGE_PX = 192  # on-screen side of each picture (the PNG itself keeps the run's side)


def _curve(data: dict) -> str:
    """The PSNR curves as inline SVG (log x axis, dense on the left), with a marker that the
    script moves; stores each round's marker position in ``data`` (``x``, ``y`` per ticket)."""
    rounds, tickets = data["rounds"], data["tickets"]
    pcts = [e["remaining"] for e in rounds]
    hi, lo = math.log10(max(pcts)), math.log10(min(pcts))
    lo = min(lo, hi - 0.3)
    vals = [e["t"][t]["psnr"] for e in rounds for t in tickets]
    finite = [v for v in vals if v is not None] or [0.0]
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1e9) if (max(finite) - min(finite)) / s <= 6)
    vmin, vmax = math.floor(min(finite) / step) * step, math.ceil(max(finite) / step) * step
    vmax = max(vmax, vmin + step)

    def x(p: float) -> float:
        return round(LEFT + (hi - math.log10(p)) / (hi - lo) * (W - LEFT - RIGHT), 1)

    def y(v: float) -> float:
        v = vmin if v is None else v
        return round(TOP + (vmax - v) / (vmax - vmin) * (H - TOP - BOTTOM), 1)

    out = [f'<svg id="curve" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">']
    ticks = [
        p
        for p in (10.0**e * m for e in range(2, -6, -1) for m in (5, 2, 1))
        if 10**lo * 0.999 <= p <= 10**hi * 1.001
    ]
    if len(ticks) > 8:  # a long run: powers of ten only
        ticks = [p for p in ticks if f"{p:g}".lstrip("0.").startswith("1")]
    for p in ticks:
        out.append(f'<line class="grid" x1="{x(p)}" x2="{x(p)}" y1="{TOP}" y2="{H - BOTTOM}"/>')
        out.append(f'<text x="{x(p)}" y="{H - BOTTOM + 14}" text-anchor="middle">{p:g}</text>')
    v = vmin
    while v <= vmax + 1e-9:
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v)}" y2="{y(v)}"/>')
        out.append(f'<text x="{LEFT - 5}" y="{y(v) + 4}" text-anchor="end">{v:g}</text>')
        v += step
    out.append(
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 6}" text-anchor="middle">weights '
        "remaining (%)</text>"
    )
    out.append(
        f'<text transform="translate(12 {(TOP + H - BOTTOM) / 2}) rotate(-90)" '
        'text-anchor="middle">PSNR (dB)</text>'
    )
    for e in rounds:
        e["x"] = x(e["remaining"])
        for t in tickets:
            e["t"][t]["y"] = y(e["t"][t]["psnr"])
    for t in tickets:
        points = " ".join(f"{e['x']},{e['t'][t]['y']}" for e in rounds)
        out.append(f'<polyline points="{points}" fill="none" stroke="{_color(t)}"/>')
    s = rounds[data["start"]]
    out.append(f'<line id="marker" x1="{s["x"]}" x2="{s["x"]}" y1="{TOP}" y2="{H - BOTTOM}"/>')
    for t in tickets:
        out.append(f'<circle id="dot-{t}" class="dot" r="6" cx="{s["x"]}" cy="{s["t"][t]["y"]}"/>')
    return "\n".join(out) + "\n</svg>"


def _color(ticket: str) -> str:
    from matplotlib.colors import to_hex

    return to_hex(COLORS.get(ticket, "black"))


def _panel(name: str, src: str, label: str) -> str:
    return (
        f'<figure><figcaption style="color:{_color(name)}">{label}</figcaption>'
        f'<img id="img-{name}" src="{src}" width="{IMAGE_PX}" height="{IMAGE_PX}" alt="{name}">'
        "</figure>"
    )


def _bar(t: str, layer: int, label: str, alive: int, n_in: int, n_out: int) -> str:
    """Layer ``layer`` (1: the input layer) of ticket ``t``: its alive weights as a bar."""
    n = n_in * n_out
    return (
        f'<div class="layer"><span>{html.escape(label)}</span><span class="track">'
        f'<span class="fill" id="fill-{t}-{layer}" style="width:{100 * alive / n:.2f}%;'
        f'background:{_color(t)}"></span></span><span id="count-{t}-{layer}">{alive:,} / {n:,}'
        "</span></div>"
    )


def _legend(data: dict) -> str:
    items = "".join(
        f'<dt style="color:{_color(name)}">{html.escape(name)}</dt>'
        f"<dd>{html.escape(text, quote=False)}</dd>"
        for name, text in data["legend"]
    )
    return f'<h2>What the page shows</h2><dl id="legend">{items}</dl>'


def _series(data: dict) -> str:
    if not data["series"]:
        return ""
    href = html.escape(data["series"], quote=True)
    return (
        f'<p class="series">Part of <a id="series" href="{href}" target="_top">the notebook '
        "series on lottery tickets in a SIREN</a>, which explains what you see here.</p>"
    )


def render_page(data: dict) -> str:
    """The page's HTML for :func:`page_data`'s ``data``, at its start round."""
    curve = _curve(data)  # first: it adds the marker positions to data
    k, tickets, images = data["start"], data["tickets"], data["images"]
    s = data["rounds"][k]
    panels = [_panel("target", images[data["target"]], "target")]
    rows, bars = [], []
    for t in tickets:
        v = s["t"][t]
        panels.append(_panel(t, images[v["img"]], t))
        rows.append(
            f'<tr><td style="color:{_color(t)}">{t}</td><td id="psnr-{t}">{v["psnr_text"]}</td>'
            f'<td id="hfe-{t}">{v["hfe_text"]}</td></tr>'
        )
        lay = "".join(
            _bar(t, i + 1, data["layer_labels"][i], a, *data["layers"][i])
            for i, a in enumerate(v["alive"])
        )
        bars.append(f'<div class="ticket"><b style="color:{_color(t)}">{t}</b>{lay}</div>')
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    last = len(data["rounds"]) - 1
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(data["title"])}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(data["title"])}</h1>
<p class="subtitle">{html.escape(data["subtitle"])}</p>{_series(data)}
<p><button id="play" type="button">Play</button>
<input id="round" type="range" min="0" max="{last}" step="1" value="{k}" aria-label="round">
<span id="label">{html.escape(s["label"])}</span></p>
<div class="row">{"".join(panels)}</div>
<div class="row"><div>{curve}</div><div><table id="numbers"><tr><th>ticket</th>
<th>PSNR (dB)</th><th>HFE (%)</th></tr>{"".join(rows)}</table></div></div>
<h2>Weights alive per layer</h2><div class="row">{"".join(bars)}</div>
{_legend(data)}
<p class="about">Run {html.escape(data["name"])}: {html.escape(data["about"])}.</p>
<script type="application/json" id="lthsiren-data">{blob}</script>
<script>const PLAY_MS = {PLAY_MS};{_JS}</script>
</body></html>
"""


_CSS = f"""body{{font:14px sans-serif;margin:16px;color:#222}} h1{{font-size:18px}}
h2{{font-size:15px}} .about,.subtitle{{color:#555}} dt{{font-weight:bold;float:left;
clear:left;width:120px}} dd{{margin:0 0 4px 130px;max-width:720px}}
.row{{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}}
figure{{margin:0;text-align:center}} figcaption{{font-weight:bold}}
img{{image-rendering:pixelated;width:{IMAGE_PX}px;height:{IMAGE_PX}px;display:block}}
#round{{width:min(520px,90vw);vertical-align:middle}} td,th{{padding:2px 10px;text-align:right}}
td:first-child{{text-align:left;font-weight:bold}} svg text{{font-size:11px;fill:#333}}
svg .grid{{stroke:#ddd}} svg polyline{{stroke-width:2}} #marker{{stroke:#000;
stroke-dasharray:4 3}} .dot{{fill:none;stroke:#000;stroke-width:1.5}} .ticket{{min-width:280px}}
.layer{{display:grid;grid-template-columns:130px 120px auto;gap:6px;align-items:center;
font-size:12px}} .track{{background:#eee;height:10px;display:block}}
.fill{{display:block;height:10px}}"""

_JS = """
const D = JSON.parse(document.getElementById('lthsiren-data').textContent);
const el = (id) => document.getElementById(id);
const slider = el('round'), play = el('play');
let timer = null;
function show(k) {
  const r = D.rounds[k];
  slider.value = k;
  el('label').textContent = r.label;
  el('marker').setAttribute('x1', r.x); el('marker').setAttribute('x2', r.x);
  for (const t of D.tickets) {
    const v = r.t[t];
    el('img-' + t).src = D.images[v.img];
    el('psnr-' + t).textContent = v.psnr_text; el('hfe-' + t).textContent = v.hfe_text;
    el('dot-' + t).setAttribute('cx', r.x); el('dot-' + t).setAttribute('cy', v.y);
    v.alive.forEach((a, i) => {
      const n = D.layers[i][0] * D.layers[i][1];
      el('fill-' + t + '-' + (i + 1)).style.width = (100 * a / n).toFixed(2) + '%';
      const c = a.toLocaleString('en') + ' / ' + n.toLocaleString('en');
      el('count-' + t + '-' + (i + 1)).textContent = c;
    });
  }
}
function stop() { clearInterval(timer); timer = null; play.textContent = 'Play'; }
play.onclick = () => {
  if (timer) return stop();
  if (+slider.value === D.rounds.length - 1) show(0);
  play.textContent = 'Pause';
  timer = setInterval(() => {
    const k = +slider.value + 1;
    if (k < D.rounds.length) show(k);
    if (k >= D.rounds.length - 1) stop();
  }, PLAY_MS);
};
slider.oninput = () => { stop(); show(+slider.value); };
const asked = /round=(\\d+)/.exec(location.hash);  // page.html#round=10
show(asked ? Math.min(+asked[1], D.rounds.length - 1) : D.start);
"""
