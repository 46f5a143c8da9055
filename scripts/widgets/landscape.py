"""Loss-landscape slices of trained plain and residual nets (docs/lab/landscape.md).

The static figure mirrors docs/javascripts/sim/widgets/landscape.js: the 1-D slices (loss on a
log axis, accuracy) and the 2-D slices as log-colour heat maps with iso-lines at powers of ten
(scripts/figures.py's line_chart and heatmap with contours), the iso-lines traced here on the
returned grid by the same marching squares.
"""

from __future__ import annotations

import json
import math
from html import escape

import figures
from figures import js_fixed

from simcore import api

from . import root

KIND = "landscape"

# Sized for the browser: the module's defaults (n 400) take ~2 s natively; n 300 (240 training
# points) takes ~1.6 s with the same grids, and the plain net's slice still rises far more
# steeply than the residual net's (1-D rise 72 vs 12 at seed 0; seeds 1-2 likewise).
LANDSCAPE_DEFAULTS = {**api.defaults("landscape"), "n": 300}
LANDSCAPE_FIELDS = ("dataset", "depth", "width", "layout", "norm", "lr", "epochs", "landscape_span",
                    "landscape_points_1d", "landscape_points_2d", "seed")
KINDS = ("plain", "residual")


def fmt_num(v) -> str:
    """4 significant digits, as the widget's ``fmtNum``."""
    if v is None:
        return "—"
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        m, e = figures.js_exp(v, 2).split("e")  # the widget writes the exponent without "+"
        return f"{m}e{int(e)}"
    return js_fixed(v, 3 if a == 0 else max(0, 3 - math.floor(math.log10(a))))


def fmt_pct(v) -> str:
    return "—" if v is None else f"{js_fixed(100 * v, 1)} %"


def fmt_int(v) -> str:
    return "—" if v is None else str(v)


ROWS = [
    ("training loss", ("train_loss",), fmt_num),
    ("training accuracy", ("train_acc",), fmt_pct),
    ("1-D rise (edges − centre)", ("summary_1d", "rise"), fmt_num),
    ("1-D curvature at 0", ("summary_1d", "curvature"), fmt_num),
    ("1-D local minima", ("summary_1d", "local_minima"), fmt_int),
    ("2-D rise (edge mean − centre)", ("summary_2d", "rise"), fmt_num),
    ("2-D local minima", ("summary_2d", "local_minima"), fmt_int),
    ("2-D non-convex share", ("summary_2d", "nonconvex_fraction"), fmt_pct),
]


def _cross(level, p, q, P, Q):
    """Where the level crosses the edge from P (value p) to Q (value q), or None."""
    if (p >= level) == (q >= level):
        return None
    f = (level - p) / (q - p)
    return (P[0] + f * (Q[0] - P[0]), P[1] + f * (Q[1] - P[1]))


def isolines(x, y, values) -> list[dict]:
    """Iso-lines of log10(values[j][i]) at the integer levels, as the widget's ``isolines``."""
    g = [[math.log10(v) if v is not None and math.isfinite(v) and v > 0 else None for v in row]
         for row in values]
    flat = [v for row in g for v in row if v is not None]
    if not flat:
        return []
    out = []
    first, last = math.ceil(min(flat)), math.floor(max(flat))
    step = max(1, math.ceil((last - first + 1) / 6))  # at most 6 levels
    for level in range(first, last + 1, step):
        segments = []
        for j in range(len(y) - 1):
            for i in range(len(x) - 1):
                a, b, c, d = g[j][i], g[j][i + 1], g[j + 1][i + 1], g[j + 1][i]
                if a is None or b is None or c is None or d is None:
                    continue
                A, B, C, D = (x[i], y[j]), (x[i + 1], y[j]), (x[i + 1], y[j + 1]), (x[i], y[j + 1])
                pB, pR, pT, pL = (_cross(level, a, b, A, B), _cross(level, b, c, B, C),
                                  _cross(level, d, c, D, C), _cross(level, a, d, A, D))
                pts = [p for p in (pB, pR, pT, pL) if p is not None]
                if len(pts) == 2:
                    segments.append(pts)
                elif len(pts) == 4:
                    if ((a + b + c + d) / 4 >= level) == (a >= level):
                        segments += [[pB, pR], [pT, pL]]
                    else:
                        segments += [[pB, pL], [pR, pT]]
        if segments:
            out.append({"level": level, "segments": segments})
    return out


def level_text(level: int) -> str:
    if 0 <= level < 4:
        return str(10 ** level)
    if -2 <= level < 0:
        return f"{10.0 ** level:.{-level}f}"
    return f"1e{level}"


def surface_chart(res: dict, kind: str) -> str:
    a = res["alphas_2d"]
    L = res[kind]["slice_2d"]["loss"]
    values = [[L[i][j] for i in range(len(a))] for j in range(len(a))]  # rows β, columns α
    contours = [{"text": level_text(e["level"]), "segments": e["segments"]} for e in isolines(a, a, values)]
    shown = ", ".join(c["text"] for c in contours)
    label = (f"Training loss of the {kind} net on the plane θ* + αδ + βη, log colour scale"
             + (f", iso-lines at {shown}" if shown else ""))
    return figures.heatmap(f"Loss surface, {kind}", "α (along δ)", "β (along η)", a, a, values,
                           log_scale=True, label=label, contours=contours)


def slice_charts(res: dict) -> list[str]:
    a = res["alphas_1d"]
    span = a[-1]
    losses = [v for k in KINDS for v in res[k]["slice_1d"]["loss"]]
    return [
        figures.line_chart("Loss along δ", "α", "training loss (log)",
                           [{"name": k, "cls": f"sim-{k}", "points": list(zip(a, res[k]["slice_1d"]["loss"]))}
                            for k in KINDS], (-span, span), figures.log_domain(losses), log_y=True),
        figures.line_chart("Accuracy along δ", "α", "training accuracy",
                           [{"name": k, "cls": f"sim-{k}", "points": list(zip(a, res[k]["slice_1d"]["acc"]))}
                            for k in KINDS], (-span, span), (0, 1)),
    ]


def _get(res: dict, path: tuple):
    for key in path:
        res = res[key]
    return res


def readout(res: dict) -> str:
    head = '<tr><th>measure</th><th class="sim-plain">plain</th><th class="sim-residual">residual</th></tr>'
    rows = []
    for label, path, fmt in ROWS:
        cells = "".join(
            f'<td data-key="{k}.{".".join(path)}" data-value="{escape(json.dumps(_get(res[k], path)))}">'
            f'{fmt(_get(res[k], path))}</td>' for k in KINDS)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    rows.append('<tr><th scope="row">status</th>'
                + "".join(f'<td data-key="{k}.status">{res[k]["status"]}</td>' for k in KINDS) + "</tr>")
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The landscape widget's root with its static figure: the default configuration computed
    natively at build time by the same simcore.api call the browser makes."""
    cfg = LANDSCAPE_DEFAULTS
    res = api.landscape(cfg)
    panels = slice_charts(res) + [surface_chart(res, k) for k in KINDS]
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels)
    spec = {f: api.FIELDS[f] for f in LANDSCAPE_FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res)}', cfg, spec)
