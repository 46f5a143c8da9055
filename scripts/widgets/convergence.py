"""Convergence: epochs to reach a target training accuracy vs depth, plain vs residual
(docs/lab/convergence.md).

The browser calls ``simcore.api.convergence`` once per depth (``depths: [d]``) and fills the
chart in as results arrive; the build makes the same calls. A run that never reaches the
target is drawn as a hollow marker (its tooltip gives the status, e.g. diverged) in a band
above the epoch budget labelled "not reached", never as a number. Both charts are
scripts/figures.py's line_chart (hlines, hollow, y_notes), the mirror of charts.js.
"""

from __future__ import annotations

import json
from html import escape

import figures
from simcore import api

from . import root

KIND = "convergence"

CV_DEFAULTS = {**api.defaults("convergence"), "dataset": "moons", "n": 150, "epochs": 20,
               "depths": [4, 12, 24]}
CV_FIELDS = ("dataset", "n", "depths", "width", "layout", "norm", "lr", "epochs",
             "convergence_target_acc", "seed")
KINDS = ("plain", "residual")


def per_depth(config: dict) -> list[dict]:
    """One convergence call per depth, as the browser makes them."""
    return [api.convergence({**config, "depths": [d]}) for d in config["depths"]]


def y_top(epochs: int) -> float:
    """The top of the y axis: room above the budget for the "not reached" band, and no tick
    above the budget (so the band is not mistaken for an epoch count)."""
    e = max(epochs, 1)
    for k in range(25, 61, 5):
        top = e + e * k / 100
        if not any(t > e * (1 + 1e-9) for t in figures.nice_ticks(0, top, 4)):
            return top
    return e * 1.25


def x_domain(depths: list[int]) -> tuple[float, float]:
    return (depths[0], depths[-1]) if len(depths) > 1 else (depths[0] - 1, depths[0] + 1)


def chart(config: dict, results: list[dict]) -> str:
    """Epochs to target vs depth; ``results`` are the per-depth calls done so far."""
    depths, epochs = config["depths"], config["epochs"]
    target = config["convergence_target_acc"]
    top = y_top(epochs)
    band = (max(epochs, 1) + top) / 2
    series = [{"name": k, "cls": f"sim-{k}", "markers": True,
               "points": [(r["depths"][0], r[k]["epochs_to_target"][0]) for r in results]}
              for k in KINDS]
    hollow = [{"x": r["depths"][0], "y": band, "dx": -4 if i == 0 else 4, "cls": f"sim-unreached sim-{k}",
               "title": f'{k}, depth {r["depths"][0]}: {r[k]["status"][0]}'}
              for r in results for i, k in enumerate(KINDS) if r[k]["epochs_to_target"][0] is None]
    return figures.line_chart(f"Epochs to {100 * target:g} %", "depth (layers)", "epochs to target",
                              series, x_domain(depths), (0, top),
                              hlines=[{"y": epochs, "cls": "sim-budget"}], hollow=hollow,
                              y_notes=[{"y": band, "lines": ["not", "reached"]}])


def curves_chart(config: dict, results: list[dict]) -> str:
    """Training accuracy per epoch at the deepest depth done so far, with the target."""
    epochs, target = config["epochs"], config["convergence_target_acc"]
    r = results[-1]
    series = [{"name": k, "cls": f"sim-{k}", "points": list(enumerate(r[k]["train_acc"][0]))}
              for k in KINDS]
    return figures.line_chart(f"Curves, depth {r['depths'][0]}", "epoch", "training accuracy",
                              series, (0, max(epochs, 1)), (0, 1),
                              hlines=[{"y": target, "cls": "sim-budget"}])


def cell_text(result: dict, kind: str) -> str:
    e = result[kind]["epochs_to_target"][0]
    return str(e) if e is not None else result[kind]["status"][0]


def readout(config: dict, results: list[dict]) -> str:
    depths = config["depths"]
    head = "<tr><th>network</th>" + "".join(f"<th>depth {d}</th>" for d in depths) + "</tr>"
    rows = []
    for k in KINDS:
        cells = []
        for r in results:
            d = r["depths"][0]
            v = r[k]["epochs_to_target"][0]
            cells.append(f'<td data-key="d{d}" data-value="{escape(json.dumps(v))}" '
                         f'data-status="{r[k]["status"][0]}">{escape(cell_text(r, k))}</td>')
        rows.append(f'<tr data-kind="{k}"><th scope="row">{k}</th>{"".join(cells)}</tr>')
    caption = (f"<caption>Epochs to {100 * config['convergence_target_acc']:g} % training accuracy "
               f"(at most {config['epochs']})</caption>")
    return f'<table class="sim-readout">{caption}<thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    cfg = CV_DEFAULTS
    results = per_depth(cfg)
    panels = [chart(cfg, results), curves_chart(cfg, results)]
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels)
    spec = {f: api.FIELDS[f] for f in CV_FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(cfg, results)}', cfg, spec)
