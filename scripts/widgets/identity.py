"""Learning the identity: a plain and a residual stack fitted to y = x (docs/lab/identity.md).

The static figure mirrors docs/javascripts/sim/widgets/identity.js: the loss against the step
(log scale, the tolerance dashed), and after the fit, per block, the RMS of the branch output
and the norm of the block's weights; the readout holds the steps each kind needed.
"""

from __future__ import annotations

import json
from html import escape

import figures

from simcore import api

from . import root

KIND = "identity"
KINDS = ("plain", "residual")
FIELDS = ("identity_blocks", "width", "layout", "activation", "norm", "zero_init", "init",
          "identity_optimizer", "identity_lr", "identity_steps", "identity_tol",
          "identity_points", "seed")
# The task's defaults, this half only, and the residual branches *not* zero-initialised, so
# both stacks have something to learn (with zero-init the residual stack is done at step 0).
DEFAULTS = {**api.defaults("identity"), "identity_part": "learn_identity", "zero_init": False}


def fmt_exp(v) -> str:
    return "—" if v is None else figures.js_exp(v, 2)


def fmt_steps(r: dict) -> str:
    return str(r["steps_to_tol"]) if r["steps_to_tol"] is not None else r["status"]


def _upper(values) -> float:
    ok = [v for v in values if v is not None]
    m = max(ok) if ok else 0
    return 1.1 * m if m > 0 else 1


def charts(res: dict) -> list[str]:
    li = res["learn_identity"]
    cfg = res["config"]
    tol = cfg["identity_tol"]
    last = max(1, *(len(li[k]["loss"]) - 1 for k in KINDS))
    series = [{"name": k, "cls": f"sim-{k}", "points": list(enumerate(li[k]["loss"]))} for k in KINDS]
    series.append({"name": "tolerance", "cls": "sim-ref", "dashed": True, "legend": False,
                   "points": [(0, tol), (last, tol)]})
    loss = figures.line_chart("MSE to y = x", "step", "mean squared error", series, (0, last),
                              figures.log_domain([v for k in KINDS for v in li[k]["loss"]] + [tol]),
                              log_y=True)
    steps = {k: fmt_steps(li[k]) + (" steps" if li[k]["steps_to_tol"] is not None else "") for k in KINDS}
    loss = figures.relabel(loss, f"Mean squared error to the identity against the step, log scale: "
                                 f"plain {steps['plain']}, residual {steps['residual']} to reach "
                                 f"{figures.js_str(tol)} (dashed)")
    B = cfg["identity_blocks"]

    def per_block(key, title, y_label, label):
        values = [b[key] for k in KINDS for b in li[k]["blocks"] or []]
        svg = figures.line_chart(
            title, "block (after the fit)", y_label,
            [{"name": k, "cls": f"sim-{k}", "markers": True,
              "points": [(i + 1, b[key]) for i, b in enumerate(li[k]["blocks"] or [])]} for k in KINDS],
            (0.5, B + 0.5), (0, _upper(values)), x_integer=True)
        return figures.relabel(svg, f"{label}. {figures.aria_label(svg)}")  # then the data summary

    return [loss,
            per_block("branch_rms", "Branch output", "RMS of the branch output",
                      "RMS of each block's branch output after the fit, plain and residual: a residual "
                      "branch must vanish, a plain block carries the whole signal"),
            per_block("weight_norm", "Block weights", "weight norm ‖W‖",
                      "Frobenius norm of each block's weights after the fit, plain and residual")]


def _cell(key: str, value, text: str) -> str:
    return f'<td data-key="{key}" data-value="{escape(json.dumps(value))}">{escape(text)}</td>'


def readout(res: dict) -> str:
    rows = []
    for k in KINDS:
        r = res["learn_identity"][k]
        rms = [b["branch_rms"] for b in r["blocks"] or [] if b["branch_rms"] is not None]
        top = max(rms) if rms else None
        cells = (_cell("steps_to_tol", r["steps_to_tol"], fmt_steps(r))
                 + _cell("initial_loss", r["initial_loss"], fmt_exp(r["initial_loss"]))
                 + _cell("final_loss", r["final_loss"], fmt_exp(r["final_loss"]))
                 + _cell("max_branch_rms", top, fmt_exp(top))
                 + _cell("end_to_end_error", r["end_to_end_error"], fmt_exp(r["end_to_end_error"])))
        rows.append(f'<tr data-kind="{k}"><th scope="row">{k}</th>{cells}</tr>')
    head = ("<tr><th>stack</th><th>steps to tolerance</th><th>loss at step 0</th>"
            "<th>final loss</th><th>largest branch RMS</th><th>‖M − I‖ (linear stacks)</th></tr>")
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The widget's root with its static figure: the default configuration computed natively at
    build time by the same simcore.api call the browser makes."""
    res = api.identity(DEFAULTS)
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in charts(res))
    spec = {f: api.FIELDS[f] for f in FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res)}', DEFAULTS, spec)
