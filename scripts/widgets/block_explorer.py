"""The block explorer: one block's diagram, and measured live that a zero branch is the
identity and that the branch computes F(x) = H(x) − x (docs/lab/block-explorer.md).

Everything shown comes from one ``simcore.api.blocks_demo`` call: the diagram is drawn from
the block's ``structure`` (its layers, read off the real block), the two scatter plots and the
readout from its measurements.
"""

from __future__ import annotations

import json
import math
from html import escape

import figures

from simcore import api

from . import root

KIND = "block-explorer"
CONTROLS = ("block_kind", "layout", "block_width", "norm", "activation", "seed")
DEFAULTS = api.defaults("blocks_demo")

# diagram geometry, mirrored by docs/javascripts/sim/widgets/block-explorer.js
W, H = 320, 220
CX = 120                    # main column
UNIT_W, UNIT_H, UNIT_Y0, UNIT_STEP = 150, 20, 46, 28
SIDE_X = 250                # shortcut column
COMBINE_Y, ACT_Y, OUT_Y = 158, 172, 210


def num(v: float) -> str:
    """A coordinate rounded to 1/100, written as JavaScript writes that number."""
    r = math.floor(v * 100 + 0.5) / 100
    return str(int(r)) if r == int(r) else repr(r)


def _el(name: str, attrs: dict, children: str = "") -> str:
    a = "".join(f' {k}="{escape(str(v))}"' for k, v in attrs.items())
    return f"<{name}{a}>{children}</{name}>"


def units(ops: list[dict]) -> list[list[dict]]:
    """Group ops into one unit per dense layer: the BN/activation after it when the list
    starts with a dense layer (post-activation), before it otherwise (pre-activation)."""
    out: list[list[dict]] = []
    post = bool(ops) and ops[0]["op"] == "dense"
    pending: list[dict] = []
    for op in ops:
        if op["op"] == "dense":
            if post:
                out.append([op])
            else:
                out.append(pending + [op])
                pending = []
        elif post:
            out[-1].append(op)
        else:
            pending.append(op)
    if pending:
        out.append(pending)
    return out


def op_text(op: dict) -> str:
    if op["op"] == "dense":
        return f"dense {op['in']}→{op['out']}"
    if op["op"] == "bn":
        return "BN"
    return op["name"]


def unit_text(unit: list[dict]) -> str:
    return " → ".join(op_text(op) for op in unit)


def title(cfg: dict) -> str:
    kind, layout = cfg["block_kind"], cfg["layout"].capitalize() + "-activation"
    return {"residual": f"{layout} residual block", "bottleneck": f"{layout} bottleneck block",
            "projection": f"{layout} block, projection shortcut",
            "plain": f"{layout} plain block (no shortcut)", "highway": "Highway layer",
            "dense": "Dense layer (DenseNet)"}[kind]


def diagram(cfg: dict, st: dict) -> str:
    """The block drawn from its structure: x on top, the branch's layers down the middle,
    the shortcut (dashed, orange) on the right, the combination, any final activation, y."""
    kind = cfg["block_kind"]
    shortcut = st["shortcut"]["type"]
    cls = "sim-plain" if kind == "plain" else "sim-residual"
    label = (f"{title(cfg)}: branch {'; '.join(unit_text(u) for u in units(st['branch']))}; "
             f"shortcut {shortcut}; output {st['d_out']} features")
    body = [_el("text", {"x": 8, "y": 16, "class": "sim-chart-title"}, escape(title(cfg))),
            _el("line", {"x1": CX, "x2": CX, "y1": 38, "y2": OUT_Y - 12, "class": "sim-block-wire"}),
            _el("text", {"x": CX, "y": 32, "class": "sim-block-io", "text-anchor": "middle"},
                escape(f"x · {st['d_in']} features"))]
    if shortcut != "none":
        d = f"M{CX},38L{SIDE_X},38L{SIDE_X},{COMBINE_Y}L{CX + 8},{COMBINE_Y}"
        body.append(_el("path", {"d": d, "class": "sim-block-skip"}))
    side = {"identity": "identity", "carry": "carry (1 − T)·x", "concat": "x copied", "none": "no shortcut"}
    if shortcut == "projection":
        text = unit_text(st["shortcut"]["ops"])
        body.append(_el("rect", {"x": SIDE_X - 46, "y": 88, "width": 92, "height": 20, "rx": 3,
                                 "class": "sim-block-unit sim-block-proj"}))
        body.append(_el("text", {"x": SIDE_X, "y": 101, "class": "sim-block-op", "text-anchor": "middle"}, escape(text)))
        body.append(_el("text", {"x": SIDE_X, "y": 120, "class": "sim-block-note", "text-anchor": "middle"},
                        "projection"))
    elif shortcut == "carry":
        body.append(_el("rect", {"x": SIDE_X - 55, "y": 88, "width": 110, "height": 20, "rx": 3,
                                 "class": "sim-block-unit sim-block-gate"}))
        body.append(_el("text", {"x": SIDE_X, "y": 101, "class": "sim-block-op", "text-anchor": "middle"},
                        escape(unit_text(st["gate"]))))
        body.append(_el("text", {"x": SIDE_X - 6, "y": 121, "class": "sim-block-note", "text-anchor": "end"},
                        "gate T(x)"))
        body.append(_el("text", {"x": SIDE_X - 6, "y": 140, "class": "sim-block-note", "text-anchor": "end"},
                        escape(side[shortcut])))
    else:
        body.append(_el("text", {"x": SIDE_X + 4, "y": 102, "class": "sim-block-note"}, escape(side[shortcut])))
    for i, unit in enumerate(units(st["branch"])):
        y = UNIT_Y0 + i * UNIT_STEP
        body.append(_el("rect", {"x": CX - UNIT_W // 2, "y": y, "width": UNIT_W, "height": UNIT_H, "rx": 3,
                                 "class": f"sim-block-unit {cls}"}))
        body.append(_el("text", {"x": CX, "y": y + 13, "class": "sim-block-op", "text-anchor": "middle"},
                        escape(unit_text(unit))))
    combine = st["combine"]
    if combine == "add":
        body.append(_el("circle", {"cx": CX, "cy": COMBINE_Y, "r": 8, "class": "sim-block-node"}))
        body.append(_el("text", {"x": CX, "y": COMBINE_Y + 4, "class": "sim-block-op", "text-anchor": "middle"}, "+"))
        if st["alpha"] != 1:
            body.append(_el("text", {"x": CX - 12, "y": COMBINE_Y - 10, "class": "sim-block-note",
                                     "text-anchor": "end"}, escape(f"α = {st['alpha']}")))
    elif combine in ("gate", "concat"):
        text = "T·H + (1 − T)·x" if combine == "gate" else "concat [x, G(x)]"
        body.append(_el("rect", {"x": CX - 50, "y": COMBINE_Y - 9, "width": 100, "height": 18, "rx": 3,
                                 "class": "sim-block-unit sim-block-node"}))
        body.append(_el("text", {"x": CX, "y": COMBINE_Y + 4, "class": "sim-block-op", "text-anchor": "middle"},
                        escape(text)))
    if st["out_act"]:
        body.append(_el("rect", {"x": CX - 24, "y": ACT_Y, "width": 48, "height": 16, "rx": 3,
                                 "class": f"sim-block-unit {cls}"}))
        body.append(_el("text", {"x": CX, "y": ACT_Y + 11, "class": "sim-block-op", "text-anchor": "middle"},
                        escape(st["out_act"])))
    body.append(_el("text", {"x": CX, "y": OUT_Y, "class": "sim-block-io", "text-anchor": "middle"},
                    escape(f"y · {st['d_out']} features")))
    return (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
            f'class="sim-chart sim-block-diagram">' + "".join(body) + "</svg>")


def scatter(xs: list[float], ys: list[float]) -> list:
    """Points with a gap after each, so the shared line chart draws markers only."""
    out: list = []
    for x, y in zip(xs, ys):
        out += [(x, y), (x, None)]
    return out


def domain(*lists: list[float]) -> tuple[float, float]:
    lo = min(min(v) for v in lists)
    hi = max(max(v) for v in lists)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    return lo, hi


def panels(cfg: dict, res: dict) -> list[str]:
    cls = "sim-plain" if cfg["block_kind"] == "plain" else "sim-residual"
    z, dec = res["zero_branch"], res["decomposition"]
    lo, hi = domain(z["reference"], z["output"])
    zero = figures.line_chart(
        "Zero branch", z["reference_label"], "y",
        [{"name": "y", "cls": cls, "markers": True, "points": scatter(z["reference"], z["output"])},
         {"name": f"y = {z['reference_label']}", "cls": "sim-ref", "dashed": True, "points": [(lo, lo), (hi, hi)]}],
        (lo, hi), (lo, hi))
    lo, hi = domain(dec["rhs"], dec["lhs"])
    resid = figures.line_chart(
        "Residual", dec["rhs_label"], dec["lhs_label"],
        [{"name": "values", "cls": cls, "markers": True, "points": scatter(dec["rhs"], dec["lhs"])},
         {"name": "equal", "cls": "sim-ref", "dashed": True, "points": [(lo, lo), (hi, hi)]}],
        (lo, hi), (lo, hi))
    return [diagram(cfg, res["structure"]), zero, resid]


def fmt_small(v: float) -> str:
    """As the page writes it: 0 exactly, or JavaScript's toExponential(2)."""
    if v == 0:
        return "0 (exactly)"
    m, e = f"{v:.2e}".split("e")
    return f"{m}e{int(e):+d}"


def readout(res: dict) -> str:
    z, dec, st = res["zero_branch"], res["decomposition"], res["structure"]
    rows = [
        ("zero_branch", "zero branch", z["compare"], "max_abs_diff", z["max_abs_diff"], fmt_small(z["max_abs_diff"])),
        ("decomposition", "residual", dec["compare"], "max_abs_error", dec["max_abs_error"],
         fmt_small(dec["max_abs_error"])),
        ("structure", "block", f"parameters (width {st['d_in']} → {st['d_out']})", "params", st["params"],
         str(st["params"])),
    ]
    body = "".join(
        f'<tr data-kind="{kind}"><th scope="row">{name}</th><td data-key="compare">{escape(what)}</td>'
        f'<td data-key="{key}" data-value="{escape(json.dumps(value))}">{escape(text)}</td></tr>'
        for kind, name, what, key, value, text in rows)
    return ('<table class="sim-readout"><thead><tr><th>measured</th><th>quantity</th><th>value</th></tr>'
            f"</thead><tbody>{body}</tbody></table>")


def render() -> str:
    """The default block measured natively at build time by the same api call the page makes."""
    res = api.blocks_demo(DEFAULTS)
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels(DEFAULTS, res))
    spec = {f: api.FIELDS[f] for f in CONTROLS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res)}', DEFAULTS, spec)
