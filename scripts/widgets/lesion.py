"""The lesion study: delete blocks of trained plain and residual nets (docs/lab/lesion.md).

The static figure mirrors docs/javascripts/sim/widgets/lesion.js: a bar chart of the accuracy
with each block deleted and a line chart of the accuracy with k random blocks deleted, both
drawn by scripts/figures.py's line_chart (bars, hlines, bands), the mirror of charts.js.
"""

from __future__ import annotations

import json
from html import escape

import figures
from figures import js_fixed

from simcore import api

from . import root

KIND = "lesion"

# Sized for the browser: the module's defaults (30 epochs, 10 draws per k) take ~3 s natively;
# 15 epochs and 5 draws take ~1.5 s, and the residual net still shrugs off most single lesions
# (median drop 5 points, seeds 0-2: 3-8) while the plain net falls to chance (27-31 points).
LESION_DEFAULTS = {**api.defaults("lesion"), "epochs": 15, "lesion_draws": 5}
LESION_FIELDS = ("dataset", "depth", "width", "layout", "norm", "lr", "epochs", "lesion_max_k",
                 "lesion_draws", "seed")
KINDS = ("plain", "residual")


def fmt_acc(v) -> str:
    return "—" if v is None else f"{js_fixed(100 * v, 1)} %"


def fmt_drop(v) -> str:
    return "—" if v is None else f"{js_fixed(100 * v, 1)} pts"


def _chance_line(chance) -> dict:
    return {"y": chance, "cls": "sim-chance", "dashed": True}


def single_chart(res: dict, split: str) -> str:
    """Accuracy with each block deleted: grouped bars, intact lines, chance dashed."""
    L = res["n_blocks"]
    chance = res["chance"][split]
    label = (f"{'Test' if split == 'test' else 'Training'} accuracy with one block deleted, per "
             f"block, plain and residual; intact: plain {fmt_acc(res['plain']['intact'][split])}, "
             f"residual {fmt_acc(res['residual']['intact'][split])}; chance {fmt_acc(chance)}")
    bars = [{"name": k, "cls": f"sim-{k}", "points": list(enumerate(res[k]["single"][split]))}
            for k in KINDS]
    hlines = [{"y": res[k]["intact"][split], "cls": f"sim-intact sim-{k}"} for k in KINDS]
    return figures.line_chart("One block deleted", "deleted block (lines: intact, dashed: chance)",
                              f"{split} accuracy", [], (-0.5, L - 0.5), (0, 1), x_integer=True,
                              label=label, bars=bars, hlines=hlines + [_chance_line(chance)])


def random_chart(res: dict, split: str) -> str:
    """Mean accuracy with k random blocks deleted (k = 0: intact), min–max band, chance dashed."""
    ks = [0, *res["ks"]]
    K = ks[-1]
    label = (f"{'Test' if split == 'test' else 'Training'} accuracy with k random blocks deleted, "
             f"k = 0 to {K}, mean over the draws with its minimum-to-maximum band, plain and residual")
    kinds = [k for k in KINDS if res[k]["intact"][split] is not None]
    bands, series = [], []
    for k in kinds:
        r, intact = res[k]["random"][split], res[k]["intact"][split]
        bands.append({"cls": f"sim-{k}", "points": [(0, intact, intact)]
                      + [(kk, lo, hi) for kk, lo, hi in zip(ks[1:], r["min"], r["max"])]})
        series.append({"name": k, "cls": f"sim-{k}", "markers": True,
                       "points": list(zip(ks, [intact, *r["mean"]]))})
    return figures.line_chart("Random lesions", "k random blocks deleted (band: min–max)",
                              f"{split} accuracy", series, (0, max(K, 1)), (0, 1), x_integer=True,
                              label=label, bands=bands, hlines=[_chance_line(res["chance"][split])])


def _cell(key: str, value, shown: str, tag: str = "td") -> str:
    return f'<{tag} data-key="{key}" data-value="{escape(json.dumps(value))}">{shown}</{tag}>'


def readout(res: dict, split: str) -> str:
    head = ("<tr><th>network</th><th>intact accuracy</th><th>median drop, one block deleted</th>"
            "<th>status</th></tr>")
    rows = "".join(
        f'<tr data-kind="{k}"><th scope="row">{k}</th>'
        f'{_cell("intact", res[k]["intact"][split], fmt_acc(res[k]["intact"][split]))}'
        f'{_cell("single_median_drop", res[k]["single_median_drop"][split], fmt_drop(res[k]["single_median_drop"][split]))}'
        f'<td data-key="status">{res[k]["status"]}</td></tr>' for k in KINDS)
    note = (f'<p class="sim-note">Accuracies on the <span data-key="split">{split}</span> split; '
            f'chance (the largest class share): '
            f'{_cell("chance", res["chance"][split], fmt_acc(res["chance"][split]), "span")}.</p>')
    return f'<table class="sim-readout"><thead>{head}</thead><tbody>{rows}</tbody></table>{note}'


def render() -> str:
    """The lesion widget's root with its static figure: the default configuration computed
    natively at build time by the same simcore.api call the browser makes."""
    cfg = LESION_DEFAULTS
    res = api.lesion(cfg)
    split = "train" if res["chance"]["test"] is None else "test"
    figure = "".join(f'<div class="sim-panel">{p}</div>'
                     for p in (single_chart(res, split), random_chart(res, split)))
    spec = {f: api.FIELDS[f] for f in LESION_FIELDS}
    return root(KIND, f'<div class="sim-figure">{figure}</div>{readout(res, split)}', cfg, spec)
