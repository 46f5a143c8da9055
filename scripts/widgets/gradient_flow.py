"""Gradient flow: |∂L/∂x_l| per block, plain vs residual, at initialisation and over training,
and He et al.'s (2016b) highway/residual split of the residual net's gradient
(docs/lab/gradient-flow.md).

The animation's frames are checkpoints of one training run: frame k is its own
``simcore.api.gradflow`` call with ``epochs = k`` for k in :func:`checkpoints` (0, 1, 2, 4, …,
epochs). With the constant learning rate of these defaults a call with ``epochs = k`` trains
exactly the first k epochs of the longer run (same seed, same mini-batch order), so the frames
are snapshots of a single run; the browser makes the same calls.
"""

from __future__ import annotations

import json
import math
from html import escape

import figures
from simcore import api

from . import root

KIND = "gradient-flow"

GF_DEFAULTS = {**api.defaults("gradflow"), "n": 200, "depth": 24, "width": 16, "layout": "pre",
               "norm": True, "schedule": "constant", "batch_size": 32, "epochs": 8, "samples": 1}
GF_FIELDS = ("dataset", "n", "depth", "width", "layout", "norm", "activation", "init", "lr",
             "epochs", "seed")
KINDS = ("plain", "residual")


def checkpoints(epochs: int) -> list[int]:
    """The epochs shown as frames: 0, 1, 2, 4, 8, … below ``epochs``, then ``epochs``
    (what widgets/gradient-flow.js asks for, one gradflow call each)."""
    out, e = [0], 1
    while e < epochs:
        out.append(e)
        e *= 2
    if epochs > 0:
        out.append(epochs)
    return out


def frame(result: dict, epoch: int) -> dict:
    """What one frame draws, picked from one gradflow result (no arithmetic)."""
    out = {"epoch": epoch}
    for kind in KINDS:
        r = result[kind]
        out[kind] = {"grad_x": r["final"]["grad_x"], "loss": r["final"]["loss"], "status": r["status"]}
    d = result["residual"]["decomposition"]
    out["split"] = {"exact": d["exact"], "highway": d["highway"], "residual": d["residual"]}
    return out


def frames(config: dict) -> list[dict]:
    return [frame(api.gradflow({**config, "epochs": e}), e) for e in checkpoints(config["epochs"])]


def log_domain(values) -> tuple[float, float]:
    vals = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    if not vals:
        return (0.1, 10.0)
    lo, hi = math.floor(math.log10(min(vals))), math.ceil(math.log10(max(vals)))
    return (10.0 ** lo, 10.0 ** max(hi, lo + 1))


def fmt_e(v) -> str:
    """Scientific notation as JavaScript's toExponential(2) writes it ("1.30e+2")."""
    if v is None or not math.isfinite(v):
        return "—"
    m, e = f"{v:.2e}".split("e")
    return f"{m}e{int(e):+d}"


def panels(fr: list[dict], index: int) -> list[str]:
    first, cur = fr[0], fr[index]
    depth_blocks = len(first["plain"]["grad_x"]) - 1
    gdom = log_domain(v for f in fr for k in KINDS for v in f[k]["grad_x"])
    sdom = log_domain(v for f in fr for key in ("highway", "residual") for v in f["split"][key])
    x_dom = (0, depth_blocks)
    ylab = "|∂L/∂x_l|"
    xlab = "block boundary l (0 = input end)"

    def grad_series(f):
        return [{"name": k, "cls": f"sim-{k}", "points": list(enumerate(f[k]["grad_x"]))} for k in KINDS]

    split = cur["split"]
    return [
        figures.line_chart("At initialisation", xlab, ylab, grad_series(first), x_dom, gdom, log_y=True),
        figures.line_chart(f"At epoch {cur['epoch']}", xlab, ylab, grad_series(cur), x_dom, gdom, log_y=True),
        figures.line_chart(f"Split, epoch {cur['epoch']}", "block l (residual net)", "norm",
                           [{"name": "highway", "cls": "sim-highway", "dashed": True,
                             "points": list(enumerate(split["highway"]))},
                            {"name": "branches", "cls": "sim-residual",
                             "points": list(enumerate(split["residual"]))}],
                           x_dom, sdom, log_y=True),
    ]


def split_note(split: dict) -> str:
    if split["exact"]:
        return ("Split exact: pre-activation blocks with identity shortcuts, so "
                "∂L/∂x_l = ∂L/∂x_L (highway) + the term through the branches.")
    return ("Post-activation layout: the split shown is only ∂L/∂x_L and the difference "
            "total − ∂L/∂x_L, not He et al.'s exact decomposition (choose layout pre).")


def cell(key: str, value, text: str) -> str:
    return f'<td data-key="{key}" data-value="{escape(json.dumps(value))}">{escape(text)}</td>'


def readout(f: dict) -> str:
    head = ("<tr><th>network</th><th>epoch</th><th>|∂L/∂x<sub>0</sub>|</th>"
            "<th>|∂L/∂x<sub>L</sub>|</th><th>first / last</th><th>loss</th></tr>")
    rows = []
    for kind in KINDS:
        g = f[kind]["grad_x"]
        ratio = g[0] / g[-1] if g[-1] else None
        rows.append(f'<tr data-kind="{kind}"><th scope="row">{kind}</th>'
                    + cell("epoch", f["epoch"], str(f["epoch"]))
                    + cell("grad_first", g[0], fmt_e(g[0])) + cell("grad_last", g[-1], fmt_e(g[-1]))
                    + cell("ratio", ratio, fmt_e(ratio))
                    + cell("loss", f[kind]["loss"], "—" if f[kind]["loss"] is None
                           else figures.js_fixed(f[kind]["loss"], 4)) + "</tr>")
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The widget root with its static figure: every frame of the default run, computed
    natively at build time by the same gradflow calls the browser makes; the last is shown."""
    cfg = GF_DEFAULTS
    fr = frames(cfg)
    index = len(fr) - 1
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels(fr, index))
    note = f'<p class="sim-note" data-key="split-note">{escape(split_note(fr[index]["split"]))}</p>'
    spec = {f: api.FIELDS[f] for f in GF_FIELDS}
    extra = f' data-frames="{escape(json.dumps(fr))}" data-frame="{index}"'
    return root(KIND, f'<div class="sim-figure">{figure}</div>{note}{readout(fr[index])}', cfg, spec, extra)
