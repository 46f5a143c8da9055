"""Degradation: final training error vs depth, plain vs residual — the analogue of He et al.'s
(2016a) Figure 1 (docs/lab/degradation.md).

The full default experiment (``api.DEGRADATION_DEFAULTS``: 1,000 points, width 32, depths 4–56,
100 epochs) takes minutes, so the widget starts from the *quick* preset below, and the build
draws the quick preset's result. The browser calls ``simcore.api.degradation`` once per depth
(``depths: [d]``); the build makes the same calls.
"""

from __future__ import annotations

import json
from html import escape

import figures
from simcore import api

from . import root

KIND = "degradation"

PRESET_FIELDS = ("depths", "n", "epochs", "width")
QUICK = {"depths": [4, 12, 24], "n": 300, "epochs": 20, "width": 16}
FULL = {k: api.DEGRADATION_DEFAULTS[k] for k in PRESET_FIELDS}
DG_DEFAULTS = {**api.DEGRADATION_DEFAULTS, **QUICK}
DG_FIELDS = ("dataset", "n", "depths", "width", "layout", "norm", "lr", "epochs", "seed")
KINDS = ("plain", "residual")


def per_depth(config: dict) -> list[dict]:
    """One degradation call per depth, as the browser makes them."""
    return [api.degradation({**config, "depths": [d]}) for d in config["depths"]]


def y_max(results: list[dict]) -> float:
    """Error axis top (%): 60 holds chance level (50 % for two classes) with room to spare."""
    worst = max((100 * r[f"{k}_train_error"][0] for r in results for k in KINDS), default=0)
    return 60.0 if worst <= 60 else 100.0


def x_domain(depths: list[int]) -> tuple[float, float]:
    return (depths[0], depths[-1]) if len(depths) > 1 else (depths[0] - 1, depths[0] + 1)


def charts(config: dict, results: list[dict]) -> list[str]:
    top = y_max(results)
    by_depth = [{"name": k, "cls": f"sim-{k}", "markers": True,
                 "points": [(r["depths"][0], 100 * r[f"{k}_train_error"][0]) for r in results]}
                for k in KINDS]
    last = results[-1]
    curves = [{"name": k, "cls": f"sim-{k}",
               "points": [(e, 100 * v) for e, v in enumerate(last[f"{k}_curves"][0])]} for k in KINDS]
    return [
        figures.line_chart("Training error", "depth (layers)", "final training error (%)", by_depth,
                           x_domain(config["depths"]), (0, top)),
        figures.line_chart(f"Curves, depth {last['depths'][0]}", "epoch", "training error (%)", curves,
                           (0, max(config["epochs"], 1)), (0, top)),
    ]


def cell_text(result: dict, kind: str) -> str:
    v = result[f"{kind}_train_error"][0]
    mark = " †" if result[f"{kind}_status"][0] == "diverged" else ""
    return f"{figures.js_fixed(100 * v, 1)} %{mark}"  # as degradation.js's toFixed writes it


def readout(config: dict, results: list[dict]) -> str:
    head = "<tr><th>network</th>" + "".join(f"<th>depth {d}</th>" for d in config["depths"]) + "</tr>"
    rows = []
    for k in KINDS:
        cells = "".join(
            f'<td data-key="d{r["depths"][0]}" data-value="{escape(json.dumps(r[f"{k}_train_error"][0]))}" '
            f'data-status="{r[f"{k}_status"][0]}">{escape(cell_text(r, k))}</td>' for r in results)
        rows.append(f'<tr data-kind="{k}"><th scope="row">{k}</th>{cells}</tr>')
    caption = ("<caption>Final training error after "
               f"{config['epochs']} epochs († the run diverged; its last error is shown)</caption>")
    return f'<table class="sim-readout">{caption}<thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The widget root with its static figure: the quick preset, computed natively at build
    time by the same per-depth degradation calls the browser makes."""
    cfg = DG_DEFAULTS
    results = per_depth(cfg)
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in charts(cfg, results))
    spec = {f: api.FIELDS[f] for f in DG_FIELDS}
    extra = (f' data-presets="{escape(json.dumps({"quick": QUICK, "full": FULL}))}"'
             f' data-built-seconds="{sum(r["elapsed"] for r in results):.1f}"')
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(cfg, results)}', cfg, spec, extra)
