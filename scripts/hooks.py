"""MkDocs hooks: pages show what simcore computes, generated at build time from the code.

A page writes a marker such as ``<!-- simcore:fields -->`` on a line of its own; the hook
replaces it with Markdown produced from ``simcore.api``, so docs cannot drift from the code.
"""

from __future__ import annotations

import re

from simcore import api

MARKER = re.compile(r"^<!-- simcore:(\w+) -->$", re.M)


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    if isinstance(v, list):
        return "`" + ",".join(map(str, v)) + "`"
    return f"`{v}`"


def fields_table() -> str:
    """Every config field of simcore.api: what it accepts and its defaults per task."""
    tasks = list(api.TASKS)
    rows = ["| field | allowed | " + " | ".join(f"`{t}` default" for t in tasks) + " |",
            "|---|---|" + "---|" * len(tasks)]
    for field, (kind, allowed) in api.FIELDS.items():
        defaults = " | ".join(_fmt(api.TASKS[t][1].get(field)) for t in tasks)
        rows.append(f"| `{field}` | {api.describe(kind, allowed)} | {defaults} |")
    return "\n".join(rows)


def variants_table() -> str:
    """Parameters and MACs of every architecture simcore.variants counts, at its own resolution."""
    from simcore import variants

    rows = ["| network | input | parameters | multiply-accumulates |", "|---|---:|---:|---:|"]
    for name in variants.NAMES:
        c = variants.count(name)
        rows.append(f"| `{name}` | {c['resolution']}×{c['resolution']} | {c['params']:,} | "
                    f"{c['macs'] / 1e9:.3f} G |")
    return "\n".join(rows)


GENERATORS = {"fields": fields_table, "variants": variants_table}


def render_markers(markdown: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown simcore marker {name!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(sub, markdown)


def on_page_markdown(markdown, page, config, files):
    return render_markers(markdown)
