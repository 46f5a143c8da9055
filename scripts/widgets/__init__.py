"""What each live widget's build step computes, one module per widget kind.

A module ``scripts/widgets/<name>.py`` defines ``KIND`` (the ``data-sim`` value, e.g.
``"gradient-flow"``), ``DEFAULTS`` (the configuration the page starts from), ``FIELDS`` (the
``simcore.api`` fields the widget offers) and ``data(config) -> dict``: the ``simcore.api``
call(s) the browser makes, run natively at build time. It computes; it never draws. The figure
is drawn from that data by the widget's own JavaScript (``view(data, config)`` in
``docs/javascripts/sim/widgets/<kind>.js``), in headless Chromium at build time
(``scripts/render.py``) and live in the reader's browser. A page places the widget with the
marker ``<!-- simcore:KIND -->`` on a line of its own.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pkgutil
from html import escape
from pathlib import Path

import numpy as np

import render
from simcore import api

# where a page's widget root carries its static figure until scripts/render.py has drawn it
PLACEHOLDER = "<!--simcore-figure:{kind}-->"


def modules() -> dict:
    """Every widget module, by kind."""
    out = {}
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{m.name}")
        out[module.KIND] = module
    return out


SIMCORE = Path(__file__).resolve().parents[2] / "simcore"


def data_key(module) -> str:
    """What the data of ``module``'s defaults depends on: every file of simcore, the module's
    own source, its defaults and NumPy's version."""
    h = hashlib.sha256(f"numpy {np.__version__}\n".encode())
    for path in sorted(p for p in SIMCORE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(SIMCORE)).encode() + b"\0" + path.read_bytes())
    h.update(Path(module.__file__).read_bytes())
    h.update(json.dumps(module.DEFAULTS, sort_keys=True).encode())
    return h.hexdigest()[:32]


def job(module) -> dict:
    """What scripts/render.py draws for ``module``: its kind, its defaults and their data.

    The data is computed by ``module.data`` and kept in the cache beside the drawn figures
    (``~/.cache/residual/data``), keyed by :func:`data_key`: a second build of the same sources
    (the other Pyodide mode, or the browser tests' build after the site test's) reads the numbers
    the first computed instead of running every default simulation again."""
    cached = render.cache_dir().parent / "data" / f"{module.KIND}-{data_key(module)}.json"
    if cached.exists():
        data = json.loads(cached.read_text())
    else:
        data = module.data(module.DEFAULTS)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps(data, allow_nan=False))
        tmp.replace(cached)
    return {"kind": module.KIND, "config": module.DEFAULTS, "data": data}


def widget_root(module, job: dict) -> str:
    """The widget root every kind shares: ``data-sim``, ``data-state="static"``, its default
    config and the field spec (both JSON, HTML-escaped) for the page-side validation, and the
    place of its static figure. A module's ``attributes(data)`` adds attributes of its own (such
    as what the build's run took)."""
    kind = module.KIND
    fields = module.FIELDS if isinstance(module.FIELDS, dict) else {f: api.FIELDS[f] for f in module.FIELDS}
    extra = "".join(f' {k}="{escape(v)}"' for k, v in getattr(module, "attributes", lambda d: {})(job["data"]).items())
    tasks = {t: api.defaults(t) for t in getattr(module, "TASKS", ())}
    # the numbers of the static figure, for "Download data" and "Copy as Python" before a run:
    # JSON text in an inert <template> (not a JSON <script>: mkdocs-material's instant
    # navigation copies a page's scripts without their type, which would run them)
    data = escape(json.dumps(render.timeless(job["data"]), allow_nan=False), quote=False)
    return (f'<div class="sim sim-{kind}" id="{kind}" data-sim="{kind}" data-state="static" '
            f'data-config="{escape(json.dumps(job["config"]))}" data-fields="{escape(json.dumps(fields))}" '
            f'data-task-defaults="{escape(json.dumps(tasks))}"{extra}>{PLACEHOLDER.format(kind=kind)}'
            f'<template class="sim-data">{data}</template></div>')

