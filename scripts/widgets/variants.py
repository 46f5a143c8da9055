"""The variants calculator: exact parameters and MACs of real architectures, layer by layer,
and two networks compared (docs/lab/variants.md).

``api.variants`` validates its own two fields (``name``, ``resolution``), which are not in
``api.FIELDS``; the widget's field spec is built here from ``simcore.variants``. The control
``compare`` names the second network, counted by a second ``api.variants`` call at the same
resolution (the browser makes the same two calls).
"""

from __future__ import annotations

import json
from html import escape

import figures

from simcore import api
from simcore import variants as _variants

from . import root

KIND = "variants"

# the resolution control accepts what any network accepts; api.variants then checks the
# range of the chosen network ([32, 1024] for the ImageNet nets) and its message shows
# next to the control
RESOLUTIONS = (min(_variants.CIFAR_RESOLUTIONS[0], _variants.IMAGENET_RESOLUTIONS[0]),
               max(_variants.CIFAR_RESOLUTIONS[1], _variants.IMAGENET_RESOLUTIONS[1]))
FIELDS = {"name": ("choice", list(_variants.NAMES)), "resolution": ("int", list(RESOLUTIONS)),
          "compare": ("choice", list(_variants.NAMES))}
DEFAULTS = {"name": "resnet50", "resolution": 224, "compare": "resnet34"}
OPEN_ROWS = 8  # a stage with at most this many rows starts open, longer ones collapsed


def calls(config: dict) -> tuple[dict, dict]:
    """The two api.variants calls the widget makes for ``config``."""
    return ({"name": config["name"], "resolution": config["resolution"]},
            {"name": config["compare"], "resolution": config["resolution"]})


def fmt_int(v: int) -> str:
    return f"{v:,}"


def unit(v: float) -> tuple[float, str, str]:
    """Scale, suffix and axis label for an axis whose largest value is ``v``."""
    return ((1e9, "G", "billions") if v >= 1e9 else (1e6, "M", "millions") if v >= 1e6
            else (1e3, "k", "thousands"))


def _cell(key: str, value, text: str) -> str:
    return f'<td data-key="{key}" data-value="{escape(json.dumps(value))}">{escape(text)}</td>'


def totals_rows(a: dict, b: dict) -> str:
    rows = []
    for kind, r in (("model", a), ("compare", b)):
        rows.append(f'<tr data-kind="{kind}"><th scope="row" data-key="name">{escape(r["name"])}</th>'
                    + _cell("resolution", r["resolution"], f'{r["resolution"]}×{r["resolution"]}')
                    + _cell("params", r["params"], fmt_int(r["params"]))
                    + _cell("macs", r["macs"], fmt_int(r["macs"])) + "</tr>")
    p, m = a["params"] / b["params"], a["macs"] / b["macs"]
    rows.append('<tr data-kind="ratio"><th scope="row">ratio</th>'
                '<td></td>' + _cell("params", p, f"{figures.js_fixed(p, 3)}×")
                + _cell("macs", m, f"{figures.js_fixed(m, 3)}×") + "</tr>")
    return "".join(rows)


def totals_table(a: dict, b: dict) -> str:
    head = "<tr><th>network</th><th>input</th><th>parameters</th><th>MACs</th></tr>"
    return (f'<table class="sim-readout sim-variants-totals"><thead>{head}</thead>'
            f"<tbody>{totals_rows(a, b)}</tbody></table>")


def stages(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    out: list[tuple[str, list[dict]]] = []
    for r in rows:
        if not out or out[-1][0] != r["stage"]:
            out.append((r["stage"], []))
        out[-1][1].append(r)
    return out


def layer_tables(result: dict) -> str:
    """One collapsible section per stage: its rows with exact params and MACs."""
    parts = [(f'<p class="sim-variants-caption">Layer by layer: <strong>{escape(result["name"])}</strong> '
              f'at {result["resolution"]}×{result["resolution"]}</p>')]
    head = ("<tr><th>block</th><th>layer</th><th>output shape</th><th>parameters</th>"
            "<th>MACs</th></tr>")
    for stage, rows in stages(result["layers"]):
        blocks = len({r["block"] for r in rows if r["block"] is not None})
        params = sum(r["params"] for r in rows)
        macs = sum(r["macs"] for r in rows)
        what = f"{blocks} block{'s' if blocks != 1 else ''} · " if blocks else ""
        body = []
        for r in rows:
            block = "" if r["block"] is None else str(r["block"])
            shape = "×".join(map(str, r["output_shape"]))
            body.append(f'<tr data-stage="{escape(stage)}"><td data-key="block">{block}</td>'
                        f'<td data-key="layer">{escape(r["layer"])}</td>'
                        + _cell("output_shape", r["output_shape"], shape)
                        + _cell("params", r["params"], fmt_int(r["params"]))
                        + _cell("macs", r["macs"], fmt_int(r["macs"])) + "</tr>")
        is_open = " open" if len(rows) <= OPEN_ROWS else ""
        parts.append(
            f'<details class="sim-variants-stage" data-stage="{escape(stage)}"{is_open}>'
            f'<summary><strong>{escape(stage)}</strong> · {what}{len(rows)} row{"s" if len(rows) != 1 else ""} · '
            f'<span data-key="params" data-value="{params}">{fmt_int(params)}</span> parameters · '
            f'<span data-key="macs" data-value="{macs}">{fmt_int(macs)}</span> MACs</summary>'
            f'<table class="sim-readout sim-variants-layers-table"><thead>{head}</thead>'
            f'<tbody>{"".join(body)}</tbody></table></details>')
    return "".join(parts)


def cumulative(rows: list[dict], key: str, scale: float) -> list[tuple[float, float]]:
    points, total = [(0, 0.0)], 0
    for i, r in enumerate(rows):
        total += r[key]
        points.append((i + 1, total / scale))
    return points


def panels(a: dict, b: dict) -> list[str]:
    """Cumulative parameters and MACs along the layer table, both networks."""
    out = []
    n = max(len(a["layers"]), len(b["layers"]))
    for key, title in (("params", "Parameters"), ("macs", "MACs")):
        top = max(a[key], b[key])
        scale, suffix, label = unit(top)
        series = [{"name": "network", "cls": "sim-residual", "points": cumulative(a["layers"], key, scale)},
                  {"name": "compared", "cls": "sim-plain", "dashed": True,
                   "points": cumulative(b["layers"], key, scale)}]
        out.append(figures.line_chart(f"{title} ({suffix})", "row of the layer table", f"cumulative, {label}",
                                      series, (0, n), (0, top / scale)))
    return out


def all_networks() -> str:
    """Every network at its design resolution (built once, not redrawn)."""
    rows = []
    for name in _variants.NAMES:
        c = api.variants({"name": name})
        rows.append(f'<tr><th scope="row">{name}</th><td>{c["resolution"]}×{c["resolution"]}</td>'
                    f'<td>{fmt_int(c["params"])}</td><td>{fmt_int(c["macs"])}</td></tr>')
    return ('<details class="sim-variants-all"><summary>All networks at their design resolution'
            '</summary><table class="sim-readout"><thead><tr><th>network</th><th>input</th>'
            '<th>parameters</th><th>multiply-accumulates</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></details>')


def render() -> str:
    """The calculator's root with the default comparison counted natively at build time by
    the same two api.variants calls the browser makes."""
    a, b = (api.variants(c) for c in calls(DEFAULTS))
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels(a, b))
    inner = (f'<div class="sim-figure">{figure}</div>{totals_table(a, b)}'
             f'<div class="sim-variants-layers">{layer_tables(a)}</div>{all_networks()}')
    return root(KIND, inner, DEFAULTS, FIELDS)
