"""The architecture diagram: plain and residual nets of one configuration side by side, one box
per weight layer, shortcuts as dashed arcs (docs/lab/architecture.md).

The layer plans come from ``simcore.nets.plan`` (read off ``Network(cfg)`` itself). The page
redraws as the controls change, without Python, from the root's ``data-rules``: simcore's
answers for every setting the controls allow, as lookup tables (too many configurations to ship
every plan): the blocks each depth makes or simcore's message why it cannot be built, the
widths through a block at each width (``nets.block_widths``), and the stem, block and head of
the smallest net of each layout, block type and kind. The page puts a plan together from them
(stem, the block as many times as the depth makes, head); the browser test holds those plans to
``nets.plan`` for many configurations.
"""

from __future__ import annotations

import json
from dataclasses import fields as dc_fields

from simcore import api, nets
from simcore.nets import NetConfig

KIND = "architecture"
DEFAULTS = {**{k: v for k, v in api.TRAIN_DEFAULTS.items() if k in ("norm", "activation")},
            "depth": 20, "width": 16, "layout": "post", "bottleneck": False}
FIELDS = ("depth", "width", "layout", "bottleneck")
TASKS = ("plan",)  # what Copy as Python calls (the page itself draws without Python)
KINDS = ("plain", "residual")
TYPES = {"basic": False, "bottleneck": True}


def net_config(config: dict, kind: str) -> NetConfig:
    names = {f.name for f in dc_fields(NetConfig)}
    return NetConfig(**{k: v for k, v in config.items() if k in names}, kind=kind)


def rules(config: dict) -> dict:
    """What the page looks up to draw any configuration of its controls (``norm`` and
    ``activation`` as in ``config``), every answer simcore's: ``depths[type][depth]`` (blocks,
    or check_depth's message, as simcore.api gives it), ``widths[type][width]`` (the widths
    through a block) and ``units[layout][type][kind]`` (the ops of the stem, of each layer of a
    block, and of the head, what follows the addition, and the shortcut)."""
    (lo, hi), (wlo, whi) = api.FIELDS["depth"][1], api.FIELDS["width"][1]
    out: dict = {"d_in": NetConfig.d_in, "n_classes": NetConfig.n_classes,
                 "depths": {}, "widths": {}, "units": {"post": {}, "pre": {}}}
    for name, bottleneck in TYPES.items():
        base = {**config, "bottleneck": bottleneck}
        depths = {}
        for depth in range(lo, hi + 1):
            cfg = net_config({**base, "depth": depth}, "residual")
            try:
                nets.check_depth(cfg)
                depths[depth] = (depth - 2) // nets.layers_per_block(cfg)
            except ValueError as exc:
                depths[depth] = str(exc)
        out["depths"][name] = depths
        out["widths"][name] = {w: nets.block_widths(net_config({**base, "width": w}, "residual"))
                               for w in range(wlo, whi + 1)}
        for layout in ("post", "pre"):
            smallest = {**base, "layout": layout, "depth": 2 + nets.layers_per_block(net_config(base, "residual"))}
            units = {}
            for kind in KINDS:
                p = nets.plan(net_config(smallest, kind))
                units[kind] = {"stem": p["layers"][0]["ops"], "block": [x["ops"] for x in p["layers"][1:-1]],
                               "head": p["layers"][-1]["ops"], "after": p["blocks"][0]["after"],
                               "shortcut": p["blocks"][0]["shortcut"]}
            out["units"][layout][name] = units
    return out


def data(config: dict) -> dict:
    """The plain and residual plans at ``config`` (``simcore.api.plan``): what the figure draws."""
    return {"plans": api.plan(config)["plans"]}


def attributes(data: dict) -> dict[str, str]:
    """The rules the page redraws from as the controls change (which leave ``norm`` and
    ``activation`` at their defaults)."""
    return {"data-rules": json.dumps(rules(DEFAULTS), ensure_ascii=False, separators=(",", ":"))}
