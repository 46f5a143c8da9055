"""Build-time static fallbacks of the live widgets, one module per widget kind.

A module ``scripts/widgets/<name>.py`` defines ``KIND`` (the ``data-sim`` value, e.g.
``"gradient-flow"``) and ``render() -> str``: the widget's root element with its static figure,
computed natively by the same ``simcore.api`` call the browser makes. A page places it with the
marker ``<!-- simcore:KIND -->`` on a line of its own.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from html import escape


def renderers() -> dict:
    out = {}
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{m.name}")
        if hasattr(module, "render"):
            out[module.KIND] = module.render
    return out


def root(kind: str, inner: str, config: dict, fields: dict, extra: str = "") -> str:
    """The widget root every kind shares: ``data-sim``, ``data-state="static"``, its default
    config and the field spec (both JSON, HTML-escaped) for the page-side validation."""
    return (f'<div class="sim sim-{kind}" id="{kind}" data-sim="{kind}" data-state="static" '
            f'data-config="{escape(json.dumps(config))}" data-fields="{escape(json.dumps(fields))}"'
            f'{extra}>{inner}</div>')
