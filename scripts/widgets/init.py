"""Xavier vs He initialisation, plain vs residual (docs/lab/init.md).

The static figure mirrors docs/javascripts/sim/widgets/init.js: small multiples, plain left and
residual right, of the signal RMS and the gradient norm per weight layer at initialisation (log
scale) and of the training loss per epoch, Xavier and He in two colours; the readout holds the
factor per layer, both ends of the signal and gradient, the loss drop and whether training
starts.
"""

from __future__ import annotations

import json
from html import escape

import figures

from simcore import api

from . import root

KIND = "init"
KINDS = ("plain", "residual")
INITS = (("xavier_normal", "Xavier", "sim-xavier"), ("he_normal", "He", "sim-he"))
NAME = {"plain": "Plain", "residual": "Residual"}
FIELDS = ("dataset", "n", "depth", "width", "layout", "optimizer", "lr", "epochs", "batch_size",
          "identity_min_drop", "seed")
DEFAULTS = {**api.defaults("identity"), "identity_part": "init"}


def fmt_exp(v) -> str:
    return "—" if v is None else figures.js_exp(v, 2)


def fmt_factor(v) -> str:
    return "—" if v is None else figures.js_fixed(v, 3)


def fmt_drop(v) -> str:
    return "—" if v is None else f"{figures.js_fixed(100 * v, 1)} %"


def fmt_starts(r: dict) -> str:
    return "yes" if r["started"] else "no (diverged)" if r["status"] == "diverged" else "no"


def charts(res: dict) -> list[str]:
    out = []
    r = res["init"]
    depth = res["config"]["depth"]

    def layers(kind, key):
        return [{"name": name, "cls": cls,
                 "points": [(i + 1, v) for i, v in enumerate(r[kind][init]["profile"][key])]}
                for init, name, cls in INITS]

    for key, title, y_label, what in (
            ("signal", "signal", "RMS of the layer input",
             "RMS of the signal entering each weight layer"),
            ("grad_w", "gradient", "‖∂L/∂W‖",
             "Norm of the loss gradient of each weight layer")):
        every = [v for k in KINDS for init, _, _ in INITS for v in r[k][init]["profile"][key]]
        for kind in KINDS:
            t = f"{NAME[kind]}: {title}"
            svg = figures.line_chart(t, "weight layer, at initialisation", y_label, layers(kind, key),
                                     (1, depth), figures.log_domain(every), log_y=True, x_integer=True)
            out.append(figures.relabel(svg, f"{what} of the {kind} net at initialisation, log scale, Xavier "
                                            f"and He: factor per layer {fmt_factor(r[kind]['xavier_normal']['ratio'])} "
                                            f"(Xavier) and {fmt_factor(r[kind]['he_normal']['ratio'])} (He)"))
    epochs = res["config"]["epochs"]
    losses = [v for k in KINDS for init, _, _ in INITS for v in r[k][init]["curve"]]
    for kind in KINDS:
        t = f"{NAME[kind]}: training"
        svg = figures.line_chart(
            t, "epoch", "training loss",
            [{"name": name, "cls": cls, "markers": epochs <= 20,
              "points": list(enumerate(r[kind][init]["curve"]))} for init, name, cls in INITS],
            (0, max(epochs, 1)), figures.log_domain(losses), log_y=True, x_integer=True)
        out.append(figures.relabel(svg, f"Training loss per epoch of the {kind} net, Xavier and He: training "
                                        f"starts {fmt_starts(r[kind]['xavier_normal'])} (Xavier), "
                                        f"{fmt_starts(r[kind]['he_normal'])} (He). {figures.aria_label(svg)}"))
    return out


def _cell(key: str, value, text: str) -> str:
    return f'<td data-key="{key}" data-value="{escape(json.dumps(value))}">{escape(text)}</td>'


def readout(res: dict) -> str:
    rows = []
    for kind in KINDS:
        for init, name, _ in INITS:
            r = res["init"][kind][init]
            p = r["profile"]
            cells = (_cell("ratio", r["ratio"], fmt_factor(r["ratio"]))
                     + _cell("signal_in", p["signal"][1], fmt_exp(p["signal"][1]))
                     + _cell("signal_out", p["signal"][-1], fmt_exp(p["signal"][-1]))
                     + _cell("grad_first", p["grad_w"][0], fmt_exp(p["grad_w"][0]))
                     + _cell("grad_last", p["grad_w"][-1], fmt_exp(p["grad_w"][-1]))
                     + _cell("drop", r["drop"], fmt_drop(r["drop"]))
                     + _cell("started", r["started"], fmt_starts(r)))
            rows.append(f'<tr data-kind="{kind}.{init}" class="sim-row-{kind}">'
                        f'<th scope="row">{kind}, {name}</th>{cells}</tr>')
    exp = res["init"]["expected_ratio"]
    head = ("<tr><th>net, init</th><th>factor per layer</th><th>signal, layer 2</th>"
            "<th>signal, last layer</th><th>‖∂L/∂W‖, first layer</th><th>‖∂L/∂W‖, last layer</th>"
            "<th>loss drop</th><th>training starts</th></tr>")
    note = ('<p class="sim-note">Factor per layer: the geometric mean by which the signal\'s RMS '
            'changes from one square layer to the next. Theory for a plain ReLU net: '
            f'<span data-key="expected.xavier_normal" data-value="{escape(json.dumps(exp["xavier_normal"]))}">'
            f'{fmt_factor(exp["xavier_normal"])}</span> under Xavier, '
            f'<span data-key="expected.he_normal" data-value="{escape(json.dumps(exp["he_normal"]))}">'
            f'{fmt_factor(exp["he_normal"])}</span> under He.</p>')
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{note}'


def render() -> str:
    """The widget's root with its static figure: the default configuration computed natively at
    build time by the same simcore.api call the browser makes."""
    res = api.identity(DEFAULTS)
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in charts(res))
    spec = {f: api.FIELDS[f] for f in FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res)}', DEFAULTS, spec)
