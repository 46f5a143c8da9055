"""Shattered gradients: the input gradient along a line, plain vs residual, across depths
(docs/lab/shattering.md).

The static figure mirrors docs/javascripts/sim/widgets/shattering.js for its default view (the
deepest net, with batch norm): g(t) of the plain and of the residual net, their
autocorrelation ρ(k), and ρ(1) against depth; the readout holds ρ(1) for every depth, kind and
normalisation. The view selectors are disabled until a run in the browser has results.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import figures

from simcore import api

from . import root

KIND = "shattering"

# The module's defaults: ~1 s natively (48 networks at initialisation, 4 depths up to 50).
SHATTERING_DEFAULTS = api.defaults("shattering")
SHATTERING_FIELDS = ("dataset", "depths", "width", "layout", "activation", "epochs",
                     "shatter_points", "shatter_span", "shatter_offset", "shatter_max_lag",
                     "shatter_runs", "seed")
KINDS = ("plain", "residual")
NORMS = (("bn", "with batch norm"), ("no_bn", "without batch norm"))


def js_fixed(v: float, digits: int) -> str:
    """``v.toFixed(digits)`` as JavaScript writes it: the exact binary value rounded, ties away
    from zero (Python's format rounds ties to even), so the static and live texts agree."""
    return str(Decimal(v or 0.0).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fmt_rho(v) -> str:
    return "—" if v is None else js_fixed(v, 3)


def _js_number(v: float) -> str:
    """How JavaScript writes a float in a template string (for the labels that show config)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def rho_domain(values) -> tuple[float, float]:
    ok = [v for v in values if v is not None and math.isfinite(v)]
    lo = min(ok) if ok else 0.0
    return (min(-0.25, math.floor(lo * 4) / 4), 1)


def charts(res: dict, i: int, norm: str) -> list[str]:
    r = res[norm]
    depth = res["depths"][i]
    span = res["t"][-1]
    bn_text = "with BN" if norm == "bn" else "no BN"
    offset = _js_number(res["config"]["shatter_offset"])

    def grad(kind):
        g = r[kind][i]["gradients"]
        ok = [abs(v) for v in g if v is not None and math.isfinite(v)]
        m = max(ok) if ok and max(ok) > 0 else 1
        svg = figures.line_chart(f"g(t), depth {depth}", f"t, input (t, {offset}), {bn_text}", "df/dt",
                                 [{"name": kind, "cls": f"sim-{kind}", "points": list(zip(res["t"], g))}],
                                 (-span, span), (-m, m))
        label = (f"Input gradient df/dt along the line of the {kind} net of depth {depth}, {bn_text}; "
                 f"lag-1 autocorrelation {fmt_rho(r[kind][i]['lag1'])}")
        return figures.relabel(svg, label)

    acfs = [v for k in KINDS for v in r[k][i]["acf"]]
    acf = figures.line_chart(f"ρ(k), depth {depth}", f"lag k (points), {bn_text}", "autocorrelation ρ(k)",
                             [{"name": k, "cls": f"sim-{k}", "points": list(zip(res["lags"], r[k][i]["acf"]))}
                              for k in KINDS], (0, res["lags"][-1]), rho_domain(acfs))
    acf = figures.relabel(acf, f"Autocorrelation of the gradient against lag at depth {depth}, {bn_text}, "
                               "plain and residual")
    lag1 = [[(2, r["shallow"]["lag1"])] + [(e["depth"], e["lag1"]) for e in r[k]] for k in KINDS]
    trend = figures.line_chart("ρ(1) vs depth", f"depth (2: no blocks), {bn_text}", "lag-1 autocorrelation",
                               [{"name": k, "cls": f"sim-{k}", "markers": True, "points": lag1[n]}
                                for n, k in enumerate(KINDS)],
                               (0, res["depths"][-1]), rho_domain([p[1] for s in lag1 for p in s]))
    trend = figures.relabel(trend, f"Lag-1 autocorrelation of the gradient against depth, {bn_text}, "
                                   "plain and residual")
    return [grad("plain"), grad("residual"), acf, trend]


def _cell(key: str, value, extra: str = "") -> str:
    return (f'<td data-key="{key}" data-value="{escape(json.dumps(value))}"{extra}>'
            f'{fmt_rho(value)}</td>')


def readout(res: dict, selected: int) -> str:
    head = ('<tr><th rowspan="2">depth</th><th colspan="2">with batch norm</th>'
            '<th colspan="2">without batch norm</th></tr><tr>'
            + '<th class="sim-plain">plain</th><th class="sim-residual">residual</th>' * 2 + "</tr>")
    rows = ['<tr data-depth="2"><th scope="row">2 (no blocks)</th>'
            + "".join(_cell(f"{norm}.shallow", res[norm]["shallow"]["lag1"], ' colspan="2"')
                      for norm, _ in NORMS) + "</tr>"]
    for i, d in enumerate(res["depths"]):
        cls = ' class="sim-selected"' if i == selected else ""
        cells = "".join(_cell(f"{norm}.{k}.{d}", res[norm][k][i]["lag1"]) for norm, _ in NORMS for k in KINDS)
        rows.append(f'<tr data-depth="{d}"{cls}><th scope="row">{d}</th>{cells}</tr>')
    ref = res["reference"]
    note = ('<p class="sim-note">Lag-1 autocorrelation ρ(1) of the gradient, mean over the runs: '
            'near 1 it is smooth like brown noise '
            f'(<span data-key="reference.brown" data-value="{escape(json.dumps(ref["brown"]["lag1"]))}">'
            f'{fmt_rho(ref["brown"]["lag1"])}</span> for brown noise of the same length), near 0 it is '
            f'shattered like white noise (<span data-key="reference.white" '
            f'data-value="{escape(json.dumps(ref["white"]["lag1"]))}">{fmt_rho(ref["white"]["lag1"])}</span>).</p>')
    return (f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
            f'{note}')


def view(res: dict, selected: int) -> str:
    """The two view selectors, disabled until the browser has a result to show."""
    return ('<div class="sim-view">'
            f'<label for="{KIND}-view-depth">Show</label>'
            f'<select id="{KIND}-view-depth" name="view_depth" disabled>'
            f'<option value="{selected}" selected>depth {res["depths"][selected]}</option></select>'
            f'<label for="{KIND}-view-norm">Normalisation</label>'
            f'<select id="{KIND}-view-norm" name="view_norm" disabled>'
            + "".join(f'<option value="{n}"{" selected" if n == "bn" else ""}>{text}</option>'
                      for n, text in NORMS)
            + '</select><span class="sim-view-hint">(choose after a run)</span></div>')


def render() -> str:
    """The shattering widget's root with its static figure: the default configuration computed
    natively at build time by the same simcore.api call the browser makes."""
    cfg = SHATTERING_DEFAULTS
    res = api.shattering(cfg)
    selected = len(res["depths"]) - 1
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in charts(res, selected, "bn"))
    spec = {f: api.FIELDS[f] for f in SHATTERING_FIELDS}
    inner = f'{view(res, selected)}<div class="sim-figure">{figure}</div>{readout(res, selected)}'
    return root(KIND, inner, cfg, spec)
