"""The architecture diagram: plain and residual nets of one configuration side by side, one box
per weight layer, shortcuts as dashed arcs (docs/lab/architecture.md).

One source of truth: the layer list comes from ``simcore.nets`` itself. At build time this
module (1) lists the default network's weight layers natively, from ``Network(cfg)``, and draws
them; (2) derives the *rules* those networks are built by, by building the smallest network
of every layout and block type and reading off its layers, and embeds them as compact JSON
(``data-rules``) from which the page recomputes the layer list as the controls change. The
browser test compares the page's list with ``Network(cfg).weight_layers()`` for many configs.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields as dc_fields
from html import escape

from simcore import api
from simcore.blocks import PlainBlock, ResidualBlock
from simcore.layers import Activation, BatchNorm, Dense
from simcore.nets import NetConfig, Network, check_depth, layers_per_block

from . import root

KIND = "architecture"
CONTROLS = ("depth", "width", "layout", "bottleneck")
DEFAULTS = {**{k: v for k, v in api.TRAIN_DEFAULTS.items() if k in ("norm", "activation")},
            "depth": 20, "width": 16, "layout": "post", "bottleneck": False}
KINDS = ("plain", "residual")
DEPTH_SENTINEL = -7  # a depth check_depth rejects, replaced by {depth} in the message template

# geometry, mirrored by docs/javascripts/sim/widgets/architecture.js
W, H = 320, 220
X0, X1 = 8, 312
ROWS = {"plain": (34, 64), "residual": (108, 168)}  # label baseline, wire
BOX_MAX, BOX_MIN, ARC_GAP = 40, 6, 22


def net_config(cfg: dict, kind: str) -> NetConfig:
    names = {f.name for f in dc_fields(NetConfig)}
    return NetConfig(**{k: v for k, v in cfg.items() if k in names}, kind=kind)


def _token(leaf) -> str:
    if isinstance(leaf, Dense):
        return "dense"
    if isinstance(leaf, BatchNorm):
        return "BN"
    if isinstance(leaf, Activation):
        return leaf.name
    raise TypeError(type(leaf).__name__)


def _units(leaves: list, layout: str) -> list[tuple[Dense, list[str]]]:
    """Group leaves into one unit per dense layer: post-activation attaches the BN and
    activation that follow a dense layer to it, pre-activation those that precede it."""
    units: list[tuple[Dense | None, list[str]]] = []
    pending: list[str] = []
    for leaf in leaves:
        tok = _token(leaf)
        if isinstance(leaf, Dense):
            if layout == "post":
                units.append((leaf, [tok]))
            else:
                units.append((leaf, pending + [tok]))
                pending = []
        elif layout == "post" and units:
            units[-1][1].append(tok)
        else:
            pending.append(tok)
    assert not pending, "ops after the last dense layer of a pre-activation unit"
    return units


def native_plan(cfg: dict, kind: str) -> dict:
    """The layer list of ``Network(cfg)`` (kind plain or residual), straight from simcore."""
    net = Network(net_config(cfg, kind))
    layout = "pre" if net.config.layout == "pre" else "post"
    layers: list[dict] = []
    blocks: list[dict] = []

    def add(role, block, index, dense, ops):
        layers.append({"role": role, "block": block, "index": index, "in": dense.d_in,
                       "out": dense.d_out, "ops": ops})

    (stem, ops), = _units(net.stem.leaves(), layout)
    add("stem", None, None, stem, ops)
    for b, block in enumerate(net.blocks):
        assert isinstance(block, (PlainBlock, ResidualBlock))
        units = _units(block.branch.leaves(), layout)
        first = len(layers)
        for j, (dense, ops) in enumerate(units):
            add("block", b, j, dense, ops)
        shortcut = None
        if isinstance(block, ResidualBlock):
            shortcut = "identity" if block.shortcut is None else "projection"
        blocks.append({"first": first, "last": len(layers) - 1, "in": units[0][0].d_in,
                       "out": units[-1][0].d_out, "shortcut": shortcut,
                       "after": [block.out_act.name] if block.out_act else []})
    (head, ops), = _units(net.head.leaves(), "pre" if layout == "pre" else "post")
    add("head", None, None, head, ops)
    assert [(x["in"], x["out"]) for x in layers] == [(d.d_in, d.d_out) for d in net.weight_layers()]
    return {"kind": kind, "layers": layers, "blocks": blocks}


def rules(cfg: dict) -> dict:
    """What the page needs to rebuild any layer list of this widget, read off simcore: the
    layers per block, the bottleneck width rule, the composition of stem, block layers and
    head per layout, what follows the addition, and check_depth's message."""
    out: dict = {"d_in": NetConfig.d_in, "n_classes": NetConfig.n_classes,
                 "layers_per_block": {}, "depth_message": {}, "units": {}}
    width = 16
    for layout in ("post", "pre"):
        u: dict = {}
        for bottleneck, key in ((False, "basic"), (True, "bottleneck")):
            base = {**cfg, "layout": layout, "bottleneck": bottleneck, "width": width}
            k = layers_per_block(net_config(base, "residual"))
            out["layers_per_block"][key] = k
            try:
                check_depth(net_config({**base, "depth": DEPTH_SENTINEL}, "residual"))
            except ValueError as exc:
                out["depth_message"][key] = str(exc).replace(f"depth: {DEPTH_SENTINEL} ", "depth: {depth} ", 1)
            p = native_plan({**base, "depth": 2 + k}, "residual")
            u["stem"], u["head"] = p["layers"][0]["ops"], p["layers"][-1]["ops"]
            u[key] = [x["ops"] for x in p["layers"][1:-1]]
            u["after"] = p["blocks"][0]["after"]
            if bottleneck:
                mid = p["layers"][1]["out"]
                out["bottleneck"] = {"divisor": width // mid, "min": 1}
        out["units"][layout] = u
    return out


# --- drawing (mirrored by the page) ---------------------------------------------------------

def num(v: float) -> str:
    """A coordinate rounded to 1/100, written as JavaScript writes that number."""
    r = math.floor(v * 100 + 0.5) / 100
    return str(int(r)) if r == int(r) else repr(r)


def _el(name: str, attrs: dict, children: str = "") -> str:
    a = "".join(f' {k}="{escape(str(v))}"' for k, v in attrs.items())
    return f"<{name}{a}>{children}</{name}>"


def layer_text(layer: dict, plan: dict, k: int, n: int) -> str:
    ops = " → ".join(f"dense {layer['in']}→{layer['out']}" if op == "dense" else op for op in layer["ops"])
    i = plan["layers"].index(layer) + 1
    if layer["role"] == "stem":
        where = f"layer {i} (stem)"
    elif layer["role"] == "head":
        where = f"layer {i} (head)"
    else:
        where = f"layer {i} (block {layer['block'] + 1}, layer {layer['index'] + 1} of {k})"
        block = plan["blocks"][layer["block"]]
        if layer["index"] == k - 1:
            if block["shortcut"]:
                ops += f" → + {block['shortcut']} shortcut"
            ops += "".join(f" → {a}" for a in block["after"])
    return f"{where}: {ops}"


def draw(plans: dict, cfg: dict, k: int) -> str:
    """The diagram: one row per kind, one box per weight layer (height ∝ output width), the
    residual row's shortcuts as dashed arcs ending in the addition."""
    n = len(plans["plain"]["layers"])
    nb = len(plans["plain"]["blocks"])
    step = (X1 - X0) / n
    bw = max(0.8, step * 0.72)
    title = f"Depth {cfg['depth']} = stem + {nb} blocks × {k} + head"
    label = (f"Plain and residual networks of depth {cfg['depth']}, width {cfg['width']}, "
             f"{cfg['layout']}-activation{', bottleneck' if cfg['bottleneck'] else ''}: "
             f"{n} weight layers each, {nb} blocks; the residual one has {nb} shortcuts")
    body = [_el("text", {"x": X0, "y": 16, "class": "sim-chart-title"}, escape(title))]
    for kind in KINDS:
        plan = plans[kind]
        ly, mid = ROWS[kind]
        shortcuts = sum(1 for b in plan["blocks"] if b["shortcut"])
        note = f"{kind}: {n} weight layers" + (f", {shortcuts} shortcuts" if shortcuts else ", no shortcuts")
        body.append(_el("text", {"x": X0, "y": ly, "class": f"sim-legend sim-arch-name sim-{kind}"}, escape(note)))
        body.append(_el("line", {"x1": X0, "x2": X1, "y1": mid, "y2": mid, "class": "sim-arch-wire"}))
        for i, layer in enumerate(plan["layers"]):
            bh = max(BOX_MIN, BOX_MAX * min(1, layer["out"] / cfg["width"]))
            odd = " sim-arch-odd" if layer["role"] == "block" and layer["block"] % 2 else ""
            body.append(_el("rect", {"x": num(X0 + i * step + (step - bw) / 2), "y": num(mid - bh / 2),
                                     "width": num(bw), "height": num(bh),
                                     "class": f"sim-arch-layer sim-arch-{layer['role']}{odd}"},
                            _el("title", {}, escape(f"{kind} {layer_text(layer, plan, k, n)}"))))
        for b in plan["blocks"]:
            if not b["shortcut"]:
                continue
            xa, xb = X0 + b["first"] * step, X0 + (b["last"] + 1) * step
            top = mid - ARC_GAP
            a = min(14, max(4, (xb - xa) * 0.35))
            xm = (xa + xb) / 2
            proj = b["shortcut"] == "projection"
            d = (f"M{num(xa)},{num(mid)}L{num(xa)},{num(top)}Q{num(xm)},{num(top - 2 * a)} "
                 f"{num(xb)},{num(top)}L{num(xb)},{num(mid)}")
            body.append(_el("path", {"d": d, "class": "sim-arch-skip" + (" sim-arch-projection" if proj else "")}))
            if proj:
                body.append(_el("rect", {"x": num(xm - 3), "y": num(top - a - 3), "width": 6, "height": 6,
                                         "class": "sim-arch-proj"}, _el("title", {}, "projection shortcut")))
            body.append(_el("circle", {"cx": num(xb), "cy": num(mid), "r": num(min(3.5, step * 0.4)),
                                       "class": "sim-arch-add" + (" sim-arch-post" if b["after"] else "")}))
    after = plans["residual"]["blocks"][0]["after"] if plans["residual"]["blocks"] else []
    body += [
        _el("rect", {"x": X0, "y": 204, "width": 8, "height": 10, "class": "sim-arch-layer sim-arch-block"}),
        _el("text", {"x": X0 + 12, "y": 213, "class": "sim-legend"}, "weight layer (height ∝ width)"),
        _el("path", {"d": "M162,209L180,209", "class": "sim-arch-skip sim-arch-legend"}),
        _el("text", {"x": 184, "y": 213, "class": "sim-legend"}, "shortcut"),
        _el("circle", {"cx": 236, "cy": 209, "r": 3.5, "class": "sim-arch-add" + (" sim-arch-post" if after else "")}),
        _el("text", {"x": 243, "y": 213, "class": "sim-legend"},
            escape("add" + "".join(f", then {x}" for x in after))),
    ]
    return (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
            f'class="sim-chart sim-arch-diagram">' + "".join(body) + "</svg>")


def readout(plans: dict) -> str:
    head = ("<tr><th>network</th><th>weight layers</th><th>blocks</th><th>identity shortcuts</th>"
            "<th>projection shortcuts</th></tr>")
    rows = []
    for kind in KINDS:
        p = plans[kind]
        values = {"weight_layers": len(p["layers"]), "blocks": len(p["blocks"]),
                  "identity": sum(b["shortcut"] == "identity" for b in p["blocks"]),
                  "projection": sum(b["shortcut"] == "projection" for b in p["blocks"])}
        cells = "".join(f'<td data-key="{k}" data-value="{v}">{v}</td>' for k, v in values.items())
        rows.append(f'<tr data-kind="{kind}"><th scope="row">{kind}</th>{cells}</tr>')
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The diagram of the default configuration, listed natively from simcore.nets, with
    the rules the page redraws from."""
    cfg = DEFAULTS
    plans = {kind: native_plan(cfg, kind) for kind in KINDS}
    k = layers_per_block(net_config(cfg, "residual"))
    spec = {f: api.FIELDS[f] for f in CONTROLS}
    figure = f'<div class="sim-figure"><div class="sim-panel">{draw(plans, cfg, k)}</div></div>'
    extra = f' data-rules="{escape(json.dumps(rules(cfg), ensure_ascii=False))}"'
    return root(KIND, figure + readout(plans), cfg, spec, extra)
