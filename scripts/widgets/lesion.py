"""The lesion study: delete blocks of trained plain and residual nets (docs/lab/lesion.md).

The static figure mirrors docs/javascripts/sim/widgets/lesion.js: a bar chart of the accuracy
with each block deleted and a line chart of the accuracy with k random blocks deleted, both on
the frame of scripts/figures.py.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import figures

from simcore import api

from . import root

KIND = "lesion"

# Sized for the browser: the module's defaults (30 epochs, 10 draws per k) take ~3 s natively;
# 15 epochs and 5 draws take ~1.5 s, and the residual net still shrugs off most single lesions
# (median drop 5 points, seeds 0-2: 3-8) while the plain net falls to chance (27-31 points).
LESION_DEFAULTS = {**api.defaults("lesion"), "epochs": 15, "lesion_draws": 5}
LESION_FIELDS = ("dataset", "depth", "width", "layout", "norm", "lr", "epochs", "lesion_max_k",
                 "lesion_draws", "seed")
KINDS = ("plain", "residual")


def js_fixed(v: float, digits: int) -> str:
    """``v.toFixed(digits)`` as JavaScript writes it: the exact binary value rounded, ties away
    from zero (Python's format rounds ties to even), so the static and live texts agree."""
    return str(Decimal(v or 0.0).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fmt_acc(v) -> str:
    return "—" if v is None else f"{js_fixed(100 * v, 1)} %"


def fmt_drop(v) -> str:
    return "—" if v is None else f"{js_fixed(100 * v, 1)} pts"


def _legend() -> list[str]:
    out = []
    for i, k in enumerate(KINDS):
        lx = figures.W - figures.MR - 150 + 78 * i
        out.append(f'<line x1="{lx}" x2="{lx + 16}" y1="12" y2="12" class="sim-line sim-{k}"/>')
        out.append(f'<text x="{lx + 20}" y="16" class="sim-legend">{k}</text>')
    return out


def _hline(sx, sy, x0, x1, y, cls) -> str:
    return (f'<line x1="{sx(x0):.1f}" x2="{sx(x1):.1f}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
            f'class="{cls}"/>')


def single_chart(res: dict, split: str) -> str:
    L = res["n_blocks"]
    chance = res["chance"][split]
    label = (f"{'Test' if split == 'test' else 'Training'} accuracy with one block deleted, per "
             f"block, plain and residual; intact: plain {fmt_acc(res['plain']['intact'][split])}, "
             f"residual {fmt_acc(res['residual']['intact'][split])}; chance {fmt_acc(chance)}")
    body, sx, sy = figures._frame("One block deleted", (-0.5, L - 0.5), (0, 1),
                                  "deleted block (lines: intact, dashed: chance)", f"{split} accuracy")
    bw = min(0.4 * (sx(1) - sx(0)), 14)
    for n, k in enumerate(KINDS):
        body.append(f'<g class="sim-bars sim-{k}">')
        for i, v in enumerate(res[k]["single"][split]):
            if v is None:
                continue
            x = sx(i) + (-bw if n == 0 else 0)
            body.append(f'<rect x="{x:.2f}" y="{sy(v):.2f}" width="{bw:.2f}" '
                        f'height="{max(sy(0) - sy(v), 0):.2f}" class="sim-bar sim-{k}"/>')
        body.append("</g>")
    for k in KINDS:
        v = res[k]["intact"][split]
        if v is not None:
            body.append(_hline(sx, sy, -0.5, L - 0.5, v, f"sim-line sim-intact sim-{k}"))
    if chance is not None:
        body.append(_hline(sx, sy, -0.5, L - 0.5, chance, "sim-line sim-chance sim-dashed"))
    return figures._svg(label, body + _legend())


def random_chart(res: dict, split: str) -> str:
    ks = [0, *res["ks"]]
    K = ks[-1]
    chance = res["chance"][split]
    label = (f"{'Test' if split == 'test' else 'Training'} accuracy with k random blocks deleted, "
             f"k = 0 to {K}, mean over the draws with its minimum-to-maximum band, plain and residual")
    body, sx, sy = figures._frame("Random lesions", (0, max(K, 1)), (0, 1),
                                  "k random blocks deleted (band: min–max)", f"{split} accuracy")
    for k in KINDS:
        r, intact = res[k]["random"][split], res[k]["intact"][split]
        if intact is None:
            continue
        lo, hi = [intact, *r["min"]], [intact, *r["max"]]
        upper = "".join(f"{'L' if i else 'M'}{sx(kk):.1f},{sy(hi[i]):.1f}" for i, kk in enumerate(ks))
        lower = "".join(reversed([f"L{sx(kk):.1f},{sy(lo[i]):.1f}" for i, kk in enumerate(ks)]))
        body.append(f'<path d="{upper}{lower}Z" class="sim-band sim-{k}"/>')
    if chance is not None:
        body.append(_hline(sx, sy, 0, max(K, 1), chance, "sim-line sim-chance sim-dashed"))
    for k in KINDS:
        intact = res[k]["intact"][split]
        if intact is None:
            continue
        mean = [intact, *res[k]["random"][split]["mean"]]
        d = "".join(f"{'L' if i else 'M'}{sx(kk):.1f},{sy(mean[i]):.1f}" for i, kk in enumerate(ks))
        body.append(f'<path d="{d}" class="sim-line sim-{k}"/>')
        body += [f'<circle cx="{sx(kk):.1f}" cy="{sy(mean[i]):.1f}" r="3" class="sim-marker sim-{k}"/>'
                 for i, kk in enumerate(ks)]
    return figures._svg(label, body + _legend())


def _cell(key: str, value, shown: str, tag: str = "td") -> str:
    return f'<{tag} data-key="{key}" data-value="{escape(json.dumps(value))}">{shown}</{tag}>'


def readout(res: dict, split: str) -> str:
    head = ("<tr><th>network</th><th>intact accuracy</th><th>median drop, one block deleted</th>"
            "<th>status</th></tr>")
    rows = "".join(
        f'<tr data-kind="{k}"><th scope="row">{k}</th>'
        f'{_cell("intact", res[k]["intact"][split], fmt_acc(res[k]["intact"][split]))}'
        f'{_cell("single_median_drop", res[k]["single_median_drop"][split], fmt_drop(res[k]["single_median_drop"][split]))}'
        f'<td data-key="status">{res[k]["status"]}</td></tr>' for k in KINDS)
    note = (f'<p class="sim-note">Accuracies on the <span data-key="split">{split}</span> split; '
            f'chance (the largest class share): '
            f'{_cell("chance", res["chance"][split], fmt_acc(res["chance"][split]), "span")}.</p>')
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{rows}</tbody></table>{note}'


def render() -> str:
    """The lesion widget's root with its static figure: the default configuration computed
    natively at build time by the same simcore.api call the browser makes."""
    cfg = LESION_DEFAULTS
    res = api.lesion(cfg)
    split = "train" if res["chance"]["test"] is None else "test"
    figure = "".join(f'<div class="sim-panel">{p}</div>'
                     for p in (single_chart(res, split), random_chart(res, split)))
    spec = {f: api.FIELDS[f] for f in LESION_FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res, split)}', cfg, spec)
