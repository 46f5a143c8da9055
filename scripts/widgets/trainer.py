"""The trainer: plain and residual nets trained side by side (docs/trainer.md)."""

from __future__ import annotations

import json
from html import escape

import figures
from simcore import api

from . import root

KIND = "trainer"

TRAINER_DEFAULTS = {**api.TRAIN_DEFAULTS, "n": 300, "depth": 20, "width": 16, "epochs": 30,
                    "batch_size": 32, "grid": 32}
TRAINER_FIELDS = ("dataset", "depth", "width", "layout", "activation", "init", "norm",
                  "optimizer", "lr", "batch_size", "epochs", "seed")


def _readout(histories: dict) -> str:
    head = ("<tr><th>network</th><th>epochs</th><th>training loss</th><th>training accuracy</th>"
            "<th>test accuracy</th><th>status</th></tr>")
    rows = []
    for kind, hist in histories.items():
        last = hist[-1]
        cells = []
        for key in ("epoch", "train_loss", "train_acc", "test_acc"):
            v = last[key]
            if v is None:  # a loss that became NaN (JSON null), as the live readout shows it
                shown = "—"
            elif key == "epoch":
                shown = str(v)
            else:  # toFixed's rounding (ties away from zero), as the live readout writes it
                shown = figures.js_fixed(v, 4) if key == "train_loss" else f"{figures.js_fixed(100 * v, 1)} %"
            cells.append(f'<td data-key="{key}" data-value="{escape(json.dumps(v))}">{shown}</td>')
        rows.append(f'<tr data-kind="{kind}"><th scope="row">{kind}</th>{"".join(cells)}'
                    f'<td data-key="status">{last["status"]}</td></tr>')
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render() -> str:
    """The trainer's root element with its static figure: the default configuration trained
    natively at build time by the same simcore.api call the browser makes."""
    cfg = TRAINER_DEFAULTS
    histories = {k: api.train({**cfg, "kind": k})["history"] for k in ("plain", "residual")}
    loss_max = max(1.0, *(min(r["train_loss"], 5.0) for h in histories.values() for r in h
                          if r["train_loss"] is not None))
    panels = [
        figures.line_chart("Training loss", "epoch", "loss",
                           [{"name": k, "cls": f"sim-{k}", "points": [(r["epoch"], r["train_loss"]) for r in h]}
                            for k, h in histories.items()], (0, cfg["epochs"]), (0, loss_max)),
        figures.line_chart("Training accuracy", "epoch", "accuracy",
                           [{"name": k, "cls": f"sim-{k}", "points": [(r["epoch"], r["train_acc"]) for r in h]}
                            for k, h in histories.items()], (0, cfg["epochs"]), (0, 1)),
    ] + [figures.boundary_chart(f"Decision boundary, {k}", h[-1]["boundary"], h[0]["data"])
         for k, h in histories.items()]
    spec = {f: api.FIELDS[f] for f in TRAINER_FIELDS}
    figure = "".join(f'<div class="sim-panel">{p}</div>' for p in panels)
    return root(KIND, f'<div class="sim-figure">{figure}</div>{_readout(histories)}', cfg, spec)


